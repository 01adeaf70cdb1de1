// Runs every packages/*/test/**/*.test.ts with node's test runner through tsx (Node 20's
// --test takes no globs), then the Python client's suite (clients/python/tests, standard
// unittest, python3). Extra arguments are passed on to node: `npm test -- --test-name-pattern=crash`;
// naming test files runs only those (no Python suite). Either suite failing fails the run.
import { spawn } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' || entry.name === 'fixtures' ? [] : find(path)
    return entry.name.endsWith('.test.ts') ? [path] : []
  })
}

/** Runs a command with inherited output; resolves its exit code (1 when it could not start or was killed). */
function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: 'inherit' })
    child.on('error', (error) => {
      process.stderr.write(`${command}: ${error.message}\n`)
      resolve(1)
    })
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)))
  })
}

const files = readdirSync('packages').flatMap((pkg) => {
  try {
    return find(join('packages', pkg, 'test'))
  } catch {
    return []
  }
}).sort()
const args = process.argv.slice(2)
const named = args.filter((a) => !a.startsWith('-'))
const node = await run(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...args.filter((a) => a.startsWith('-')), ...(named.length > 0 ? named : files)])
let python = 0
if (named.length === 0) {
  process.stdout.write('\n# Python client (clients/python/tests)\n')
  python = await run('python3', ['-m', 'unittest', 'discover', '-s', 'clients/python/tests'])
}
process.exit(node !== 0 ? node : python)
