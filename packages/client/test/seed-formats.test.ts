/**
 * FileSink's seed formats: `text` writes seed 000's lines and `seed003` seed 003's records
 * (with "Audit log file initialized" at each open), each read back by the real `tradetrail
 * import` with every event there; seed003 keeps seed 003's default path.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import type { StoredEvent, TradetrailError } from '@tradetrail/core'
import { describeRun, runCli, storedEvents, tempDir } from '@tradetrail/test-support'
import { FileSink, type FileSinkOptions } from '../src/file-sink.ts'
import { resolveFileSinkOptions } from '../src/file-sink-options.ts'

const SAFE = { mounts: 'rootfs / ext4 rw 0 0\n', inContainer: false, env: {} }

async function writeWith(t: TestContext, options: Partial<FileSinkOptions>, send: (sink: FileSink) => void): Promise<{ path: string; lines: string[] }> {
  const errors: TradetrailError[] = []
  const path = join(tempDir(t, 'tt-seed-format'), 'audit.log')
  const sink = new FileSink({ project: 'TestBot', path, ...SAFE, onError: (e) => errors.push(e), ...options })
  send(sink)
  await sink.close()
  assert.deepEqual(errors, [], 'no problem reported')
  const text = readFileSync(path, 'utf8')
  assert.ok(text.endsWith('\n'), 'whole lines')
  return { path, lines: text.split('\n').slice(0, -1) }
}

async function imported(t: TestContext, path: string): Promise<StoredEvent[]> {
  const dataDir = join(tempDir(t, 'tt-seed-import'), 'data')
  const result = await runCli(['import', path, '--project', 'TestBot'], { dataDir })
  assert.equal(result.code, 0, describeRun(result))
  return (await storedEvents(dataDir)).filter((e) => e.project !== 'tradetrail')
}

describe('FileSink format text (seed 000)', () => {
  test('writes "[2025-12-17T21:00:03Z] message" lines that import reads back, message and second intact', async (t) => {
    const messages = ["Auto-repair: Created PostgreSQL database 'quantum'", 'Weekly self-heal: Completed - ✅ All checks passed', 'Plain [bracketed] note', '']
    const { path, lines } = await writeWith(t, { format: 'text' }, (sink) => {
      sink.send('auto_repair', messages[0]!, { db: 'quantum' }, { ts: '2025-12-17T21:00:03.987654Z' })
      sink.send('self_heal', messages[1]!, undefined, { ts: '2025-12-17T21:16:30Z' })
      sink.send('test', messages[2]!, undefined, { ts: '2025-12-17T21:16:30.5Z' })
      sink.send('test', messages[3]!, undefined, { ts: '2025-12-17T21:16:31Z' })
    })
    assert.deepEqual(lines, [
      "[2025-12-17T21:00:03Z] Auto-repair: Created PostgreSQL database 'quantum'",
      '[2025-12-17T21:16:30Z] Weekly self-heal: Completed - ✅ All checks passed',
      '[2025-12-17T21:16:30Z] Plain [bracketed] note',
      '[2025-12-17T21:16:31Z] ',
    ])
    const events = await imported(t, path)
    assert.deepEqual(events.map((e) => [e.ts, e.message, e.project]), [
      ['2025-12-17T21:00:03Z', messages[0], 'TestBot'], ['2025-12-17T21:16:30Z', messages[1], 'TestBot'],
      ['2025-12-17T21:16:30Z', messages[2], 'TestBot'], ['2025-12-17T21:16:31Z', '', 'TestBot'],
    ])
    assert.deepEqual(events.slice(0, 2).map((e) => e.type), ['auto_repair', 'self_heal'], 'import derives the type from seed 000\'s prefixes')
  })

  test('a message the line cannot hold (line breaks, edge spaces) is written as a JSON event, and imported whole', async (t) => {
    const { path, lines } = await writeWith(t, { format: 'text' }, (sink) => {
      sink.send('error', 'Traceback:\n  line 1\r\n  line 2', { code: 7 }, { ts: '2025-12-17T21:00:03.123456Z', severity: 'error' })
      sink.send('test', '  padded  ', undefined, { ts: '2025-12-17T21:00:04Z' })
    })
    assert.equal(lines.length, 2)
    assert.ok(lines.every((l) => l.startsWith('{')), lines.join('\n'))
    const events = await imported(t, path)
    assert.deepEqual(events.map((e) => [e.ts, e.message, e.type, e.severity, e.data]), [
      ['2025-12-17T21:00:03.123456Z', 'Traceback:\n  line 1\r\n  line 2', 'error', 'error', { code: 7 }],
      ['2025-12-17T21:00:04Z', '  padded  ', 'test', 'info', undefined],
    ])
  })
})

describe('FileSink format seed003', () => {
  test('writes seed 003\'s records, opened by "Audit log file initialized", and import reads every event back intact', async (t) => {
    const sent = [
      { type: 'kill_switch', message: 'Feed stale: kill switch', data: { max_staleness_ms: 5000, threshold: 1000 }, options: { severity: 'critical', source: 'FeedStalenessCalculator', metadata: { processing_latency_us: 15.2 }, ts: '2024-01-15T14:30:25.123456Z' } },
      { type: 'order_filled', message: 'Filled 10000 EURUSD', data: { message: 'a data key named message', px: 1.0851 }, options: { severity: 'notice', actor: 'alice', ts: '2024-01-15T14:30:26Z' } },
      { type: 'test', message: 'plain', data: undefined, options: { severity: 'debug', ts: '2024-01-15T14:30:27.000000001Z' } },
    ]
    const { path, lines } = await writeWith(t, { format: 'seed003', source: 'RiskEventBus' }, (sink) => {
      for (const e of sent) sink.send(e.type, e.message, e.data, e.options)
    })
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.equal(records.length, 4)
    const [init, first] = records as [Record<string, any>, Record<string, any>]
    assert.equal(init.message, 'Audit log file initialized')
    assert.equal(init.event_type, 'AUDIT_LOG_INITIALIZED')
    assert.deepEqual(Object.keys(first).slice(0, 8), ['ts', 'event_id', 'event_type', 'priority', 'source', 'data', 'metadata', 'timestamp_ns'])
    assert.deepEqual([first.event_type, first.priority, first.source], ['KILL_SWITCH', 'CRITICAL', 'FeedStalenessCalculator'])
    assert.match(lines[1]!, /"timestamp_ns":1705329025123456000,/, 'nanoseconds as exact digits')

    const events = await imported(t, path)
    assert.equal(events.length, 4)
    assert.deepEqual(events.map((e) => [e.type, e.message]).slice(0, 1), [['audit_log_initialized', 'Audit log file initialized']])
    for (const [i, e] of sent.entries()) {
      const got = events[i + 1]!
      assert.equal(got.id, records[i + 1]!.event_id)
      assert.deepEqual(
        [got.ts, got.project, got.type, got.severity, got.message, got.source, got.actor, got.data, got.metadata],
        [e.options.ts, 'TestBot', e.type, e.options.severity, e.message, e.options.source ?? 'RiskEventBus', e.options.actor, e.data, e.options.metadata],
      )
    }
  })

  test('each open of the file adds its initialized record; a second import stores nothing twice', async (t) => {
    const path = join(tempDir(t, 'tt-seed003'), 'risk_audit.jsonl')
    for (const message of ['one', 'two']) {
      const sink = new FileSink({ project: 'TestBot', path, format: 'seed003', ...SAFE })
      sink.send('test', message)
      await sink.close()
    }
    const messages = readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { message: string }).message)
    assert.deepEqual(messages, ['Audit log file initialized', 'one', 'Audit log file initialized', 'two'])
    const dataDir = join(tempDir(t, 'tt-seed-import'), 'data')
    for (const expected of [/imported 4 events \(0 already present\)/, /imported 0 events \(4 already present\)/]) {
      const result = await runCli(['import', path], { dataDir })
      assert.match(result.stdout, expected, describeRun(result))
    }
  })

  test('RISK_AUDIT_LOG_PATH names the file; without it seed 003\'s logs/risk_audit.jsonl, as seed 003', () => {
    const path = (env: Record<string, string>, format?: 'seed003' | 'text' | 'jsonl') =>
      resolveFileSinkOptions({ project: 'TestBot', env, ...(format ? { format } : {}) }).settings.path
    assert.equal(path({}, 'seed003'), resolve('logs/risk_audit.jsonl'))
    assert.equal(path({ TRADETRAIL_LOG_FORMAT: 'seed003' }), resolve('logs/risk_audit.jsonl'))
    assert.equal(path({ RISK_AUDIT_LOG_PATH: '/var/log/intraday-jules/risk_audit.jsonl' }, 'seed003'), '/var/log/intraday-jules/risk_audit.jsonl')
    assert.equal(path({}, 'text'), resolve('logs/tradetrail-audit.log'))
    assert.equal(path({}), resolve('logs/tradetrail-audit.jsonl'))
  })

  test('an unknown format is reported and the sink writes jsonl', () => {
    for (const [options, option] of [[{ format: 'xml' }, 'format'], [{ env: { TRADETRAIL_LOG_FORMAT: 'csv' } }, 'TRADETRAIL_LOG_FORMAT']] as const) {
      const { settings, problems } = resolveFileSinkOptions({ project: 'TestBot', ...options } as FileSinkOptions)
      assert.equal(settings.format, 'jsonl')
      assert.equal(problems.length, 1)
      assert.equal(problems[0]!.code, 'TT_ERR_CLIENT_OPTIONS')
      assert.match(problems[0]!.message, new RegExp(`option ${option} must be one of jsonl, text, seed003`))
    }
  })
})
