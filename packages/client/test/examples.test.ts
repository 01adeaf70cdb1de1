/** The README tour's examples run as documented against a real collector and record what they say. */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { collectorEnv } from '@tradetrail/test-support'
import { collectorFor, http, projectEvents, tempDir } from './helpers/client-harness.ts'

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const run = promisify(execFile)

function example(name: string, args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', join(ROOT, 'examples', name), ...args], { cwd: ROOT, env: { ...collectorEnv(), ...env }, timeout: 60_000 })
}

test('examples/trading-bot.ts records its boot, its trades and its shutdown', async (t) => {
  const dataDir = join(tempDir(t, 'tt-example-bot'), 'data')
  const { c, token } = await collectorFor(t, 'MyTradingBot', { dataDir })
  const spool = join(tempDir(t, 'tt-spool'), 'spool')
  const { stdout } = await example('trading-bot.ts', ['--seconds', '2'], { TRADETRAIL_URL: c.url, TRADETRAIL_TOKEN: token, TRADETRAIL_SPOOL_DIR: spool })
  assert.match(stdout, /done: .*"dropped":0/)
  const types = (await projectEvents(dataDir, 'MyTradingBot')).map((e) => e.type)
  assert.equal(types[0], 'boot')
  assert.equal(types[types.length - 1], 'shutdown')
})

test('examples/auto-repair.ts logs each repair through logAction', async (t) => {
  const dataDir = join(tempDir(t, 'tt-example-repair'), 'data')
  const { c, token } = await collectorFor(t, 'auto_repair_system', { dataDir })
  const root = tempDir(t, 'tt-repair-root')
  await example('auto-repair.ts', ['--root', root], {
    TRADETRAIL_URL: c.url, TRADETRAIL_TOKEN: token, TRADETRAIL_PROJECT: 'auto_repair_system', TRADETRAIL_SPOOL_DIR: join(root, 'spool'),
  })
  const messages = (await projectEvents(dataDir, 'auto_repair_system')).filter((e) => e.type === 'auto_repair').map((e) => e.message)
  assert.deepEqual(messages, [
    'Auto-repair: check started', "Auto-repair: repaired database 'quantum'", 'Auto-repair: repaired XGBoost model', 'Auto-repair: check finished, 2 repaired',
  ])
})

test('examples/weekly-self-heal.ts records the cycle, each phase and the report', async (t) => {
  const dataDir = join(tempDir(t, 'tt-example-heal'), 'data')
  const { c, token } = await collectorFor(t, 'weekly_self_heal', { dataDir })
  const read = (await http(c.url, '/v1/tokens', { token: c.adminToken!, body: { scope: 'read' } })).json<{ token: string }>().token
  const { stdout } = await example('weekly-self-heal.ts', [], {
    TRADETRAIL_URL: c.url, TRADETRAIL_TOKEN: token, TRADETRAIL_READ_TOKEN: read, TRADETRAIL_SPOOL_DIR: join(tempDir(t, 'tt-spool'), 'spool'),
  })
  assert.match(stdout, /3\/3 phases ok/)
  const messages = (await projectEvents(dataDir, 'weekly_self_heal')).filter((e) => e.type === 'self_heal').map((e) => e.message)
  assert.equal(messages.length, 5, messages.join('\n'))
  assert.match(messages[3]!, /^Phase audit-chain: ok \(\d+ events verified\)$/)
  assert.equal(messages[4], 'Weekly report: 3/3 phases ok')
})
