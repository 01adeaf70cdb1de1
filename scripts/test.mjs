// Runs every packages/*/test/**/*.test.ts with node's test runner through tsx (Node 20's
// --test takes no globs). Extra arguments are passed on: `npm test -- --test-name-pattern=crash`.
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

const files = readdirSync('packages').flatMap((pkg) => {
  try {
    return find(join('packages', pkg, 'test'))
  } catch {
    return []
  }
}).sort()
const args = process.argv.slice(2)
const named = args.filter((a) => !a.startsWith('-'))
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...args.filter((a) => a.startsWith('-')), ...(named.length > 0 ? named : files)], { stdio: 'inherit' })
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
