/**
 * `tradetrail import`: what the seed systems wrote comes into the trail with its meaning
 * intact (seed 000's text log, seed 003's JSONL with nanosecond time, Tradetrail's own JSONL),
 * bad lines are named by number without stopping the rest, --strict is all or nothing, and
 * importing a file again stores nothing twice.
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, test, type TestContext } from 'node:test'
import { type AppendResult, type PreparedEvent, type StoredEvent, TradetrailError } from '@tradetrail/core'
import { describeRun, errorLines, parseJson, runCli, tempDir } from '@tradetrail/test-support'
import { openTestTrail } from './helpers/trail.ts'
import { importFile } from '../src/seed-import.ts'
import { verifyTrail } from '../src/verify-trail.ts'
import { snapshotTrail, storedEvents, writeTrail } from './helpers/trail.ts'

/** Seed 000's "Audit Log Format" section, byte for byte (its ✅ arrived as mojibake, kept as it is). */
const SEED_000_LINES = [
  "[2025-12-17T21:00:03Z] Auto-repair: Created PostgreSQL database 'quantum'",
  '[2025-12-17T21:00:04Z] Auto-repair: Retrained XGBoost model to 22 features',
  '[2025-12-17T21:00:06Z] Auto-repair: Restarted Grafana container',
  '[2025-12-17T21:00:08Z] Auto-repair: Cleaned Docker cache',
  '[2025-12-17T21:15:00Z] Weekly self-heal: Started validation cycle',
  '[2025-12-17T21:15:45Z] Weekly self-heal: AI Agent validation - PASSED',
  '[2025-12-17T21:16:12Z] Weekly self-heal: Module integrity check - PASSED',
  '[2025-12-17T21:16:30Z] Weekly self-heal: Completed - \u201a\u00fa\u00d6 All checks passed',
]

/** Seed 003's "Audit Log Content" record as its Python sink writes it: one line, json.dumps separators. */
const SEED_003_RECORD = '{"ts": "2024-01-15T14:30:25.123Z", "event_id": "uuid-here", "event_type": "KILL_SWITCH", "priority": "CRITICAL", ' +
  '"source": "FeedStalenessCalculator", "data": {"max_staleness_ms": 5000, "threshold": 1000, "action": "KILL_SWITCH"}, ' +
  '"metadata": {"processing_latency_us": 15.2, "rule_triggered": "feed_staleness_limit"}, "timestamp_ns": 1705327825123456789}'
/** A second record: a real UUID (upper case) as event_id, no timestamp_ns, priority HIGH, data.message. */
const SEED_003_SECOND = '{"ts": "2024-01-15T14:30:26.5Z", "event_id": "0190B6A2-3C4D-7E5F-8A6B-7C8D9E0F1A2B", "event_type": "ORDER_REJECTED", ' +
  '"priority": "HIGH", "source": "OrderGateway", "data": {"message": "Order 42 rejected by the broker", "order_id": 42}, "metadata": {}}'

/** A file with good lines and bad ones (lines 2, 5, 6 and 7); line 3 is blank. */
const MIXED_LINES = [
  "[2025-12-17T21:00:03Z] Auto-repair: Created PostgreSQL database 'quantum'",
  'this is not an audit line',
  '',
  '{"ts": "2025-12-17T21:00:04Z", "project": "MyTradingBot", "type": "trade_opened", "message": "Opened long EURUSD"}',
  '{"ts": "2025-12-17T21:00:05Z", "message": ',
  '[2025-13-45T25:00:00Z] Auto-repair: a date that does not exist',
  '{"ts": "2025-12-17T21:00:06Z", "message": "no project", "project": "has spaces"}',
  '[2025-12-17T21:00:07Z] Auto-repair: PostgreSQL backup FAILED',
]

function writeLines(t: TestContext, name: string, lines: readonly string[]): string {
  const file = join(tempDir(t, 'tt-import-file'), name)
  writeFileSync(file, lines.join('\n') + '\n')
  return file
}

const freshDataDir = (t: TestContext): string => join(tempDir(t, 'tt-import'), 'data')

/** The 48-bit millisecond time of a UUIDv7. */
const uuidMillis = (id: string): number => parseInt(id.replaceAll('-', '').slice(0, 12), 16)

/** An event without the fields the trail assigns, for comparing an event across two trails. */
/** What a producer sent, without what the server set (seq, received_at, hash, submitter). */
function content(e: StoredEvent): Omit<StoredEvent, 'seq' | 'received_at' | 'hash' | 'submitter'> {
  const { seq: _seq, received_at: _received, hash: _hash, submitter: _submitter, ...rest } = e
  return rest
}

describe('tradetrail import', { concurrency: 2 }, () => {
  test('seed 000 text lines: time, message, type and source; a second import stores nothing twice', async (t) => {
    const dataDir = freshDataDir(t)
    const file = writeLines(t, 'AUTO_REPAIR_AUDIT.log', SEED_000_LINES)
    const first = await runCli(['import', file, '--project', 'QuantumTraderV3', '--json'], { dataDir })
    assert.equal(first.code, 0, describeRun(first))
    assert.deepEqual(parseJson(first), { lines: 8, accepted: 8, duplicates: 0, errors: [] })
    const events = await storedEvents(dataDir)
    assert.deepEqual(events.map((e) => [e.ts, e.project, e.type, e.source, e.severity, e.message]), SEED_000_LINES.map((line) => {
      const ts = line.slice(1, 21)
      const message = line.slice(23)
      const [type, source] = message.startsWith('Auto-repair:') ? ['auto_repair', 'auto_repair_system'] : ['self_heal', 'weekly_self_heal']
      return [ts, 'QuantumTraderV3', type, source, 'info', message]
    }))
    for (const e of events) assert.equal(uuidMillis(e.id), Date.parse(e.ts), `id ${e.id} is a UUIDv7 with the line's time`)

    const again = await runCli(['import', file, '--project', 'QuantumTraderV3', '--json'], { dataDir })
    assert.equal(again.code, 0, describeRun(again))
    assert.deepEqual(parseJson(again), { lines: 8, accepted: 0, duplicates: 8, errors: [] })
    assert.deepEqual(await storedEvents(dataDir), events)
  })

  test('seed 003 JSONL: timestamp_ns keeps all nine digits, priority becomes severity, data and metadata as they are', async (t) => {
    const dataDir = freshDataDir(t)
    const file = writeLines(t, 'risk_audit.jsonl', [SEED_003_RECORD, SEED_003_SECOND])
    const result = await runCli(['import', file, '--project', 'IntradayJules'], { dataDir })
    assert.equal(result.code, 0, describeRun(result))
    assert.equal(result.stdout, 'imported 2 events (0 already present) from 2 lines; 0 bad\n')
    const [kill, rejected, ...rest] = await storedEvents(dataDir)
    assert.equal(rest.length, 0)
    // 1705327825123456789 ns is 2024-01-15T14:10:25.123456789Z; a JSON number would round it to …25.1234568.
    assert.deepEqual(content(kill!), {
      id: kill!.id, ts: '2024-01-15T14:10:25.123456789Z', project: 'IntradayJules', type: 'kill_switch', severity: 'critical',
      message: 'KILL_SWITCH from FeedStalenessCalculator', source: 'FeedStalenessCalculator',
      data: { max_staleness_ms: 5000, threshold: 1000, action: 'KILL_SWITCH' },
      metadata: { processing_latency_us: 15.2, rule_triggered: 'feed_staleness_limit' },
    })
    assert.equal(uuidMillis(kill!.id), Date.UTC(2024, 0, 15, 14, 10, 25, 123), '"uuid-here" is no UUID: the id is derived, with the record\'s time')
    assert.deepEqual(content(rejected!), {
      id: '0190b6a2-3c4d-7e5f-8a6b-7c8d9e0f1a2b', ts: '2024-01-15T14:30:26.5Z', project: 'IntradayJules', type: 'order_rejected',
      severity: 'error', message: 'Order 42 rejected by the broker', source: 'OrderGateway',
      data: { message: 'Order 42 rejected by the broker', order_id: 42 }, metadata: {},
    })
  })

  test('Tradetrail JSONL: an export imported into a new data directory keeps ids and content', async (t) => {
    const source = freshDataDir(t)
    await writeTrail(source, [[
      { project: 'AlphaBot', type: 'trade_opened', ts: '2025-12-17T09:00:03.123456789Z', message: 'Opened long EURUSD', source: 'OrderRouter', actor: 'alice', data: { symbol: 'EURUSD', price: 1.085, legs: [1, { x: null }] }, metadata: { pid: 42 } },
      { project: 'RiskEngine', type: 'risk_limit_breach', severity: 'critical', ts: '2025-12-17T10:00:00Z', message: 'Daily loss limit breached: "-2.1%"\nhalting' },
      { project: 'AlphaBot', message: 'Plain event with defaults' },
    ]])
    const exported = join(tempDir(t, 'tt-import-export'), 'trail.jsonl')
    const exportRun = await runCli(['export', '--format', 'jsonl', '--out', exported], { dataDir: source })
    assert.equal(exportRun.code, 0, describeRun(exportRun))
    const target = freshDataDir(t)
    const importRun = await runCli(['import', exported, '--json'], { dataDir: target })
    assert.equal(importRun.code, 0, describeRun(importRun))
    assert.deepEqual(parseJson(importRun), { lines: 3, accepted: 3, duplicates: 0, errors: [] })
    const [before, after] = [await storedEvents(source), await storedEvents(target)]
    assert.deepEqual(after.map(content), before.map(content))
    const trail = await openTestTrail(target, { role: 'reader' })
    try {
      assert.equal((await verifyTrail(trail.store, trail.signer.publicKey)).ok, true)
    } finally {
      await trail.close()
    }
  })

  test('bad lines are reported with their line numbers and the rest is imported (exit 1)', async (t) => {
    const dataDir = freshDataDir(t)
    const file = writeLines(t, 'mixed.log', MIXED_LINES)
    const result = await runCli(['import', file, '--project', 'QuantumTrader'], { dataDir })
    assert.equal(result.code, 1, describeRun(result))
    assert.equal(result.stdout, 'imported 3 events (0 already present) from 8 lines; 4 bad\n')
    const lines = errorLines(result.stderr)
    assert.deepEqual(lines.map((l) => l.slice(0, l.indexOf(': ') + 1)), [2, 5, 6, 7].map((n) => `${file}:${n}:`), result.stderr)
    assert.match(lines[2]!, /"2025-13-45T25:00:00Z" is not an RFC 3339 UTC timestamp/)
    assert.match(lines[3]!, /project.*TT_ERR_EVENT_BAD_VALUE/)
    const events = await storedEvents(dataDir)
    assert.deepEqual(events.map((e) => [e.ts, e.project, e.severity, e.message]), [
      ['2025-12-17T21:00:03Z', 'QuantumTrader', 'info', "Auto-repair: Created PostgreSQL database 'quantum'"],
      ['2025-12-17T21:00:04Z', 'MyTradingBot', 'info', 'Opened long EURUSD'],
      ['2025-12-17T21:00:07Z', 'QuantumTrader', 'error', 'Auto-repair: PostgreSQL backup FAILED'],
    ])
  })

  test('import --json lists the bad lines', async (t) => {
    const dataDir = freshDataDir(t)
    const result = await runCli(['import', writeLines(t, 'mixed.log', MIXED_LINES), '--json'], { dataDir })
    assert.equal(result.code, 1, describeRun(result))
    const out = parseJson<{ lines: number; accepted: number; duplicates: number; errors: Array<{ line: number; message: string }> }>(result)
    assert.deepEqual([out.lines, out.accepted, out.duplicates], [8, 3, 0])
    assert.deepEqual(out.errors.map((e) => e.line), [2, 5, 6, 7])
    for (const e of out.errors) assert.ok(e.message.length > 10, `line ${e.line} says what is wrong: ${e.message}`)
  })

  test('import --strict imports nothing from a file with a bad line', async (t) => {
    const dataDir = freshDataDir(t)
    await writeTrail(dataDir, [[{ project: 'AlphaBot', message: 'already there' }]])
    const before = snapshotTrail(dataDir)
    const result = await runCli(['import', writeLines(t, 'mixed.log', MIXED_LINES), '--strict'], { dataDir })
    assert.equal(result.code, 1, describeRun(result))
    const lines = errorLines(result.stderr)
    assert.equal(lines.length, 1, JSON.stringify(lines))
    assert.match(lines[0]!, /4 bad lines, nothing imported.*line 2.*TT_ERR_IMPORT_INVALID/)
    assert.deepEqual(snapshotTrail(dataDir), before)
  })

  test('importFile with strict appends nothing when any line is bad, and everything in one batch when none is', async (t) => {
    const appended: PreparedEvent[][] = []
    const append = async (batch: readonly PreparedEvent[]): Promise<AppendResult> => {
      appended.push([...batch])
      return { accepted: batch.length, duplicates: 0, first_seq: 1, last_seq: batch.length }
    }
    const nowMicros = Date.UTC(2026, 0, 1) * 1000
    await assert.rejects(importFile({ path: writeLines(t, 'mixed.log', MIXED_LINES), append, strict: true, nowMicros }), (error: unknown) => {
      assert.ok(error instanceof TradetrailError)
      assert.equal(error.code, 'TT_ERR_IMPORT_INVALID')
      assert.match(error.message, /4 bad lines, nothing imported \(--strict\); first: line 2: /)
      return true
    })
    assert.equal(appended.length, 0)
    const result = await importFile({ path: writeLines(t, 'seed-000.log', SEED_000_LINES), append, strict: true, nowMicros, batchSize: 3 })
    assert.deepEqual([result.accepted, result.errors], [8, []])
    assert.deepEqual(appended.map((b) => b.length), [8], 'one atomic append for the whole file')
  })

  test('the same line twice in a file is two events, and re-importing the file stores neither again', async (t) => {
    const dataDir = freshDataDir(t)
    const file = writeLines(t, 'twice.log', [SEED_000_LINES[3]!, SEED_000_LINES[3]!, SEED_000_LINES[4]!])
    const trail = await openTestTrail(dataDir)
    try {
      const run = (): Promise<unknown> => importFile({ path: file, append: (b) => trail.submit(b, 'test'), nowMicros: Date.now() * 1000 })
      assert.deepEqual(await run(), { lines: 3, accepted: 3, duplicates: 0, errors: [] })
      assert.deepEqual(await run(), { lines: 3, accepted: 0, duplicates: 3, errors: [] })
      assert.equal(await trail.store.count(), 3)
    } finally {
      await trail.close()
    }
  })

  test('a file that does not exist is a clear error naming it, and nothing is appended', async (t) => {
    const missing = join(tempDir(t, 'tt-import-missing'), 'no-such.log')
    let appends = 0
    await assert.rejects(
      importFile({ path: missing, append: async () => { appends++; return { accepted: 0, duplicates: 0, first_seq: null, last_seq: null } }, nowMicros: 0 }),
      (error: unknown) => error instanceof TradetrailError && error.code === 'TT_ERR_FILE_NOT_FOUND' && error.message === `${missing} does not exist (ENOENT); check the path`,
    )
    assert.equal(appends, 0)
  })

  test('a directory is a clear error naming it (EISDIR comes from the first read, after the open), and nothing is appended', async (t) => {
    const dir = tempDir(t, 'tt-import-dir')
    let appends = 0
    await assert.rejects(
      importFile({ path: dir, append: async () => { appends++; return { accepted: 0, duplicates: 0, first_seq: null, last_seq: null } }, nowMicros: 0 }),
      (error: unknown) => error instanceof TradetrailError && error.code === 'TT_ERR_FILE_IS_DIRECTORY' && error.message === `${dir} is a directory (EISDIR); name a file`,
    )
    assert.equal(appends, 0)
  })

  test('the README tour\'s imports run as written: the sample logs ship in examples/logs and import whole, even with --strict', async (t) => {
    const root = fileURLToPath(new URL('../../../', import.meta.url))
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    const commands = [...readme.matchAll(/^npx tradetrail import (\S+)( [^#\n]*?)?\s*$/gm)]
    assert.ok(commands.length >= 2, `the tour imports a seed 000 log and a seed 003 JSONL file; saw ${commands.length} import commands`)
    const dataDir = freshDataDir(t)
    for (const [command, file, flags] of commands) {
      assert.match(file!, /^examples\//, `${command}: the tour imports a file shipped with the repository`)
      const lines = readFileSync(join(root, file!), 'utf8').split('\n').filter((line) => line.trim() !== '').length
      const result = await runCli(['import', join(root, file!), ...(flags ?? '').trim().split(/\s+/).filter(Boolean), '--strict', '--json'], { dataDir })
      assert.equal(result.code, 0, `${command}: ${describeRun(result)}`)
      assert.deepEqual(parseJson(result), { lines, accepted: lines, duplicates: 0, errors: [] }, command)
    }
  })
})
