/**
 * The SDK as a bot outside this repository gets it (`npm run build -w @tradetrail/client`):
 * one ESM file with no runtime dependency and no native build, type declarations that a
 * strict TypeScript project compiles against, and it runs under plain `node` (no tsx).
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { collectorFor, projectEvents, tempDir } from './helpers/client-harness.ts'

const run = promisify(execFile)
const CLIENT = fileURLToPath(new URL('../', import.meta.url))
const TSC = fileURLToPath(new URL('../../../node_modules/.bin/tsc', import.meta.url))
// Made here, not in before(): an after hook registered inside a hook runs when that hook ends.
const consumer = tempDir({ after }, 'tt-consumer')
const dist = join(consumer, 'node_modules', '@tradetrail', 'client')

before(async () => {
  mkdirSync(join(consumer, 'node_modules', '@tradetrail'), { recursive: true })
  const built = join(consumer, 'dist')
  await run(process.execPath, [join(CLIENT, 'scripts', 'build.mjs'), built])
  symlinkSync(built, dist)
  // A Node project in TypeScript has Node's types; nothing else of ours is there.
  mkdirSync(join(consumer, 'node_modules', '@types'))
  symlinkSync(fileURLToPath(new URL('../../../node_modules/@types/node', import.meta.url)), join(consumer, 'node_modules', '@types', 'node'))
})

test('the package has no runtime dependency and imports only Node built-ins', () => {
  const pkg = JSON.parse(readFileSync(join(dist, 'package.json'), 'utf8')) as Record<string, unknown>
  assert.equal(pkg.dependencies, undefined)
  assert.equal(pkg.type, 'module')
  const bundle = readFileSync(join(dist, 'index.js'), 'utf8')
  const specifiers = [...bundle.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!)
  assert.ok(specifiers.length > 0)
  assert.deepEqual(specifiers.filter((s) => !s.startsWith('node:')), [], 'only node: imports')
})

test('a strict TypeScript project compiles against its declarations', async () => {
  writeFileSync(join(consumer, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: false, types: ['node'] },
    files: ['bot.ts'],
  }))
  writeFileSync(join(consumer, 'bot.ts'), `
import { AuditClient, FileSink, ProjectEvents, type SendOptions, type ClientStats } from '@tradetrail/client'
const client = new AuditClient({ url: 'http://127.0.0.1:9324', token: 't', project: { name: 'Bot', market: 'FOREX', privileges: ['execute_trade'] } })
const options: SendOptions = { severity: 'warning', source: 'X' }
client.send(ProjectEvents.TRADE_OPENED, 'Opened long EURUSD', { symbol: 'EURUSD' }, options)
const stats: ClientStats = client.stats()
const sink = new FileSink({ project: 'Bot' })
sink.send('test', 'hello')
// @ts-expect-error: send() wants a message
client.send('test')
void stats
`)
  const tsc = await run(TSC, ['-p', join(consumer, 'tsconfig.json')]).catch((error: { stdout: string }) => ({ stdout: error.stdout, failed: true }))
  assert.ok(!('failed' in tsc), `tsc reported:\n${tsc.stdout}`)
})

test('the bundle runs under plain node and delivers to a collector', async (t) => {
  const dataDir = join(tempDir(t, 'tt-package'), 'data')
  const { c, token } = await collectorFor(t, 'PackagedBot', { dataDir })
  writeFileSync(join(consumer, 'bot.mjs'), `
import { AuditClient } from '@tradetrail/client'
const client = new AuditClient({ url: process.argv[2], token: process.argv[3], project: 'PackagedBot', spoolDir: process.argv[4] })
for (let i = 0; i < 100; i++) client.send('order_submitted', 'order ' + i, { i })
await client.close()
console.log(JSON.stringify(client.stats()))
`)
  const { stdout } = await run(process.execPath, [join(consumer, 'bot.mjs'), c.url, token, join(consumer, 'spool')], { cwd: consumer })
  assert.equal(JSON.parse(stdout).sent, 101)
  assert.equal((await projectEvents(dataDir, 'PackagedBot')).length, 101)
})
