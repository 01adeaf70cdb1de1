/**
 * FileSink: seed 003's JSONL audit file without its failures. Every event sent is a line of
 * wire-format JSON in the file, or a reported drop with an AUDIT_EMERGENCY line on stderr;
 * nothing throws into the caller; the file rotates without splitting or overwriting, survives
 * process.exit(), recovers once the disk is usable again, and reads back with `tradetrail import`.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { type Problem, type TradetrailError, prepareEvent } from '@tradetrail/core'
import { describeRun, parseJson, runCli, tempDir } from '@tradetrail/test-support'
import { rotatedName } from '../src/audit-file.ts'
import { FileSink, type FileSinkOptions } from '../src/file-sink.ts'

const FIXTURE = fileURLToPath(new URL('./fixtures/file-sink-child.ts', import.meta.url))
const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const TS_MICROS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
/** Nothing is tmpfs and we are in no container: the storage warning stays out of tests that are not about it. */
const SAFE = { mounts: 'rootfs / ext4 rw 0 0\n', inContainer: false, env: {} }

/** A sink in a fresh temp dir that the test closes; errors reported through onError are collected. */
function openSink(t: TestContext, options: Partial<FileSinkOptions> = {}): { sink: FileSink; path: string; errors: TradetrailError[] } {
  const errors: TradetrailError[] = []
  // The directory goes after the sink has closed: closing may still write (and so recreate) it.
  const removals: Array<() => void> = []
  const path = join(tempDir({ after: (fn) => removals.push(fn) }, 'tt-file-sink'), 'audit.jsonl')
  const sink = new FileSink({ project: 'TestBot', path, ...SAFE, onError: (e) => errors.push(e), ...options })
  t.after(async () => {
    await sink.close()
    for (const remove of removals) remove()
  })
  return { sink, path: sink.path ?? path, errors }
}

function readLines(path: string): string[] {
  const text = readFileSync(path, 'utf8')
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends with a whole line')
  return text.split('\n').slice(0, -1)
}

/** Captures what is written to stderr while `fn` runs (the sink's AUDIT_EMERGENCY lines). */
async function captureStderr(t: TestContext, fn: () => Promise<void>): Promise<string[]> {
  let text = ''
  const write = t.mock.method(process.stderr, 'write', (chunk: string | Uint8Array) => {
    text += String(chunk)
    return true
  })
  try {
    await fn()
  } finally {
    write.mock.restore()
  }
  return text.split('\n').filter((line) => line !== '')
}

function emergencyEvents(lines: readonly string[]): Array<Record<string, unknown>> {
  return lines.filter((l) => l.startsWith('AUDIT_EMERGENCY ')).map((l) => JSON.parse(l.slice('AUDIT_EMERGENCY '.length)) as Record<string, unknown>)
}

function runFixture(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

describe('FileSink writes what was sent', () => {
  test('one wire-format line per event, in order, with the given fields and a UUIDv7 id and µs time', async (t) => {
    const { sink, path, errors } = openSink(t, { source: 'Engine', actor: 'bot-1', metadata: { host: 'h1', v: 1 } })
    const data = { symbol: 'EURUSD', price: 1.085, legs: [1, { x: null }] }
    sink.send('trade_opened', 'Opened long EURUSD', data)
    data.price = 2 // a snapshot was taken at send()
    sink.send('kill_switch', 'Feed stale: "5000 ms"\nhalting', { max_staleness_ms: 5000 },
      { severity: 'critical', source: 'FeedStalenessCalculator', actor: 'risk', metadata: { v: 2, processing_latency_us: 15.2 } })
    sink.send('custom.kind:x-1', 'Plain')
    await sink.flush()
    assert.deepEqual(errors, [])
    const lines = readLines(path)
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    for (const [i, e] of events.entries()) {
      assert.match(e.id as string, UUIDV7)
      assert.match(e.ts as string, TS_MICROS)
      assert.equal(JSON.stringify(e), lines[i], 'compact JSON, wire-format field order')
    }
    const withoutIdTs = events.map(({ id: _id, ts: _ts, ...rest }) => rest)
    assert.deepEqual(withoutIdTs, [
      { project: 'TestBot', type: 'trade_opened', severity: 'info', message: 'Opened long EURUSD', source: 'Engine', actor: 'bot-1',
        data: { symbol: 'EURUSD', price: 1.085, legs: [1, { x: null }] }, metadata: { host: 'h1', v: 1 } },
      { project: 'TestBot', type: 'kill_switch', severity: 'critical', message: 'Feed stale: "5000 ms"\nhalting', source: 'FeedStalenessCalculator',
        actor: 'risk', data: { max_staleness_ms: 5000 }, metadata: { host: 'h1', v: 2, processing_latency_us: 15.2 } },
      { project: 'TestBot', type: 'custom.kind:x-1', severity: 'info', message: 'Plain', source: 'Engine', actor: 'bot-1', metadata: { host: 'h1', v: 1 } },
    ])
    assert.ok((events[0]!.ts as string) <= (events[2]!.ts as string))
    assert.deepEqual(sink.stats(), { queued: 0, spooled: 0, sent: 3, failed: 0, dropped: 0 })
  })

  test('send() returns before any I/O; flush() resolves once the lines are in the file (also with fsync)', async (t) => {
    const { sink, path } = openSink(t, { fsync: true })
    for (let i = 0; i < 500; i++) sink.send('order_filled', `fill ${i}`, { i })
    assert.equal(sink.stats().queued, 500)
    await sink.flush()
    assert.equal(sink.stats().queued, 0)
    assert.deepEqual(readLines(path).map((l) => (JSON.parse(l) as { data: { i: number } }).data.i), Array.from({ length: 500 }, (_, i) => i))
    // Appends to what is there; a line cut short by an earlier crash keeps a line of its own.
    await sink.close()
    writeFileSync(path, '{"torn":', { flag: 'a' })
    const again = new FileSink({ project: 'TestBot', path, ...SAFE })
    again.send('test', 'after the crash')
    await again.close()
    const lines = readLines(path)
    assert.equal(lines.length, 502)
    assert.equal(lines[500], '{"torn":')
    assert.equal((JSON.parse(lines[501]!) as { message: string }).message, 'after the crash')
  })

  test('invalid events are reported, counted as dropped and written to stderr; the rest are written', async (t) => {
    const { sink, path, errors } = openSink(t)
    const stderr = await captureStderr(t, async () => {
      sink.send('Not_A_Type', 'bad type')
      sink.send('test', 'bad severity', undefined, { severity: 'loud' })
      sink.send('test', 'bad id: the collector and the importer want a lower-case UUID', undefined, { id: 'order-42' })
      sink.send('test', 'bad ts', undefined, { ts: 'yesterday' })
      sink.send('test', 'lone surrogate \ud800 in the message')
      sink.send('test', 'data that is a Date', new Date() as unknown as Record<string, unknown>)
      sink.send('test', 'metadata that is a Date', undefined, { metadata: new Date() as unknown as Record<string, unknown> })
      let deep: unknown = {}
      for (let i = 0; i < 70; i++) deep = { deeper: deep }
      sink.send('test', 'data nested 70 deep', { deep })
      sink.send('test', 'fine', { ok: true, text: 'a backslash-u: \\ud800 is just text' })
      await sink.flush()
    })
    assert.deepEqual(errors.map((e) => e.code), ['TT_ERR_EVENT_BAD_VALUE', 'TT_ERR_EVENT_BAD_VALUE', 'TT_ERR_EVENT_BAD_VALUE', 'TT_ERR_EVENT_BAD_TIMESTAMP',
      'TT_ERR_EVENT_BAD_STRING', 'TT_ERR_EVENT_WRONG_TYPE', 'TT_ERR_EVENT_WRONG_TYPE', 'TT_ERR_EVENT_BAD_VALUE'])
    const emergency = emergencyEvents(stderr)
    assert.deepEqual(emergency.map((e) => e.message), ['bad type', 'bad severity', 'bad id: the collector and the importer want a lower-case UUID', 'bad ts',
      'lone surrogate \ud800 in the message', 'data that is a Date', 'metadata that is a Date', 'data nested 70 deep'])
    assert.equal((emergency[0]!.error as { code: string }).code, 'TT_ERR_EVENT_BAD_VALUE', 'an event that could not be encoded says why')
    assert.match(String(emergency[4]!.id), /^[0-9a-f-]{36}$/, 'one refused after encoding is the full event')
    assert.deepEqual(readLines(path).map((l) => (JSON.parse(l) as { message: string }).message), ['fine'])
    assert.deepEqual(sink.stats(), { queued: 0, spooled: 0, sent: 1, failed: 0, dropped: 8 })
  })

  test('send() after close() is dropped, reported with TT_ERR_CLIENT_CLOSED and written to stderr', async (t) => {
    const { sink, path, errors } = openSink(t)
    sink.send('test', 'before')
    await sink.close()
    const stderr = await captureStderr(t, async () => {
      sink.send('test', 'after')
      await new Promise((resolve) => setImmediate(resolve))
    })
    assert.deepEqual(errors.map((e) => e.code), ['TT_ERR_CLIENT_CLOSED'])
    assert.deepEqual(emergencyEvents(stderr).map((e) => e.message), ['after'])
    assert.equal(readLines(path).length, 1)
    assert.deepEqual(sink.stats(), { queued: 0, spooled: 0, sent: 1, failed: 0, dropped: 1 })
  })

  test('beyond maxQueuedEvents the newest events go to stderr with TT_ERR_CLIENT_QUEUE_FULL', async (t) => {
    const { sink, path, errors } = openSink(t, { maxQueuedEvents: 3 })
    const stderr = await captureStderr(t, async () => {
      for (let i = 0; i < 5; i++) sink.send('test', `event ${i}`)
      await sink.flush()
    })
    assert.deepEqual(errors.map((e) => e.code), ['TT_ERR_CLIENT_QUEUE_FULL'])
    assert.deepEqual(emergencyEvents(stderr).map((e) => e.message), ['event 3', 'event 4'])
    assert.equal(readLines(path).length, 3)
  })
})

describe('FileSink options', () => {
  test('the path: option, else TRADETRAIL_LOG_PATH, else RISK_AUDIT_LOG_PATH, else logs/tradetrail-audit.jsonl; relative to the working directory', async (t) => {
    const dir = realpathSync(tempDir(t, 'tt-file-sink-path'))
    const cwd = process.cwd()
    process.chdir(dir)
    t.after(() => process.chdir(cwd))
    const env = { TRADETRAIL_LOG_PATH: 'tt/a.jsonl', RISK_AUDIT_LOG_PATH: join(dir, 'risk', 'risk_audit.jsonl') }
    const pathOf = (options: Partial<FileSinkOptions>): string | undefined => {
      const sink = new FileSink({ project: 'P', ...SAFE, onError: () => {}, ...options })
      t.after(() => sink.close())
      return sink.path
    }
    assert.equal(pathOf({ path: 'mine.jsonl', env }), join(dir, 'mine.jsonl'))
    assert.equal(pathOf({ env }), join(dir, 'tt', 'a.jsonl'))
    assert.equal(pathOf({ env: { ...env, TRADETRAIL_LOG_PATH: '' } }), join(dir, 'risk', 'risk_audit.jsonl'))
    assert.equal(pathOf({ env: { RISK_AUDIT_LOG_PATH: env.RISK_AUDIT_LOG_PATH } }), env.RISK_AUDIT_LOG_PATH)
    assert.equal(pathOf({ env: {} }), join(dir, 'logs', 'tradetrail-audit.jsonl'))

    const sink = new FileSink({ project: 'P', ...SAFE, env: { RISK_AUDIT_LOG_PATH: 'seed003/risk_audit.jsonl' } })
    sink.send('test', 'seed 003 users keep their variable')
    await sink.close()
    assert.equal(readLines(join(dir, 'seed003', 'risk_audit.jsonl')).length, 1, 'the parent directory is created')
  })

  test('bad options never throw: tuning values fall back to defaults, a bad project sends every event to stderr', async (t) => {
    const dir = tempDir(t, 'tt-file-sink-options')
    const errors: TradetrailError[] = []
    const sink = new FileSink({ project: 'has spaces', path: join(dir, 'a.jsonl'), maxFileBytes: -1, fsync: 'yes' as unknown as boolean, source: 42 as unknown as string, ...SAFE, onError: (e) => errors.push(e) })
    t.after(() => sink.close())
    assert.equal(sink.path, undefined)
    const stderr = await captureStderr(t, async () => {
      sink.send('test', 'nowhere to write')
      await sink.flush()
    })
    assert.deepEqual(errors.map((e) => e.code), ['TT_ERR_CLIENT_OPTIONS', 'TT_ERR_CLIENT_OPTIONS', 'TT_ERR_CLIENT_OPTIONS', 'TT_ERR_CLIENT_OPTIONS'])
    assert.match(errors.map((e) => e.message).join('\n'), /option project must match .*every event goes to stderr/)
    assert.deepEqual(emergencyEvents(stderr).map((e) => e.message), ['nowhere to write'])
    assert.deepEqual(readdirSync(dir), [])
    assert.deepEqual(sink.stats(), { queued: 0, spooled: 0, sent: 0, failed: 0, dropped: 1 })
    await captureStderr(t, async () => {
      for (const options of [undefined, null, 42, { project: 'P', path: 42, env: {} }]) {
        let built: FileSink | undefined
        assert.doesNotThrow(() => { built = new FileSink(options as unknown as FileSinkOptions) })
        assert.equal(built!.path, undefined)
        await built!.close()
      }
    })
  })

  test('a directory on tmpfs, or under /tmp inside a container, is reported naming the directory (seed 003)', async (t) => {
    let n = 0
    const warningsFor = async (dir: string, options: Partial<FileSinkOptions>): Promise<TradetrailError[]> => {
      const errors: TradetrailError[] = []
      const path = join(dir, `audit-${n++}.jsonl`)
      const sink = new FileSink({ project: 'P', path, onError: (e) => errors.push(e), ...options })
      sink.send('test', 'written all the same')
      await sink.close()
      assert.equal(readLines(path).length, 1)
      return errors
    }
    const dir = realpathSync(tempDir(t, 'tt-file-sink-tmpfs'))
    const onTmpfs = await warningsFor(dir, { mounts: `rootfs / ext4 rw 0 0\ntmpfs ${dir} tmpfs rw 0 0\n`, inContainer: false })
    assert.equal(onTmpfs.length, 1, JSON.stringify(onTmpfs))
    assert.equal(onTmpfs[0]!.code, 'TT_ERR_SINK_UNSAFE_DIR')
    assert.ok(onTmpfs[0]!.message.includes(dir), onTmpfs[0]!.message)
    assert.match(onTmpfs[0]!.message, /is on tmpfs.*lost on restart.*persistent volume/)
    assert.deepEqual(await warningsFor(join(dir, 'sub'), { mounts: `tmpfs / tmpfs rw 0 0\n/dev/vdb ${dir} ext4 rw 0 0\n`, inContainer: false }), [])

    const underTmp = realpathSync(tempDir(t, 'tt-file-sink-tmp', '/tmp'))
    const inContainer = await warningsFor(underTmp, { mounts: SAFE.mounts, env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } })
    assert.match(inContainer.map((e) => e.message).join('\n'), /under \/tmp inside a container/)
    assert.deepEqual(await warningsFor(underTmp, { mounts: SAFE.mounts, inContainer: false }), [])
  })
})

describe('FileSink rotation', () => {
  test('rotated names: <name>-<UTC YYYYMMDDTHHMMSSZ>[_nnn]<ext>, next to the file, sorting in time order', () => {
    const at = new Date('2025-12-17T21:00:03.999Z')
    assert.equal(rotatedName('/var/log/bot/audit.jsonl', at, 0), '/var/log/bot/audit-20251217T210003Z.jsonl')
    assert.equal(rotatedName('/var/log/bot/audit.jsonl', at, 2), '/var/log/bot/audit-20251217T210003Z_002.jsonl')
    const sameSecond = [0, 1, 2, 10].map((n) => rotatedName('/var/log/bot/audit.jsonl', at, n))
    assert.deepEqual([...sameSecond].sort(), sameSecond, 'a plain sort lists them in the order they were made')
    assert.equal(rotatedName('/logs/risk_audit', at, 0), '/logs/risk_audit-20251217T210003Z')
  })

  test('at maxFileBytes: no line split, no file overwritten, every event in exactly one file', async (t) => {
    const { sink, path } = openSink(t, { maxFileBytes: 2000 })
    const dir = join(path, '..')
    // Files the rotation would want for the next few seconds already exist: they must survive untouched.
    const now = Date.now()
    const sentinels = [0, 1000, 2000, 3000].map((ms) => rotatedName(path, new Date(now + ms), 0))
    for (const file of sentinels) writeFileSync(file, 'sentinel\n')
    const sent: string[] = []
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 20; i++) {
        const n = round * 20 + i
        sent.push(`event ${n}`)
        sink.send('test', `event ${n}`, { pad: 'x'.repeat((n * 37) % 300) })
      }
      await sink.flush()
    }
    sink.send('test', 'huge', { pad: 'y'.repeat(5000) }) // larger than maxFileBytes: a file of its own
    sent.push('huge')
    await sink.flush()
    for (const file of sentinels) assert.equal(readFileSync(file, 'utf8'), 'sentinel\n')
    const files = readdirSync(dir).map((name) => join(dir, name)).filter((file) => !sentinels.includes(file))
    assert.ok(files.length >= 10, `rotated into ${files.length} files`)
    const messages: string[] = []
    for (const file of files) {
      assert.match(file.slice(dir.length + 1), /^audit(-\d{8}T\d{6}Z(_\d{3,})?)?\.jsonl$/)
      const lines = readLines(file)
      const bytes = readFileSync(file).length
      assert.ok(bytes <= 2000 || lines.length === 1, `${file}: ${bytes} bytes in ${lines.length} lines`)
      for (const line of lines) messages.push((JSON.parse(line) as { message: string }).message)
    }
    assert.deepEqual(messages.sort(), [...sent].sort())
    assert.equal(sink.stats().sent, sent.length)
  })
})

describe('FileSink when the disk refuses', () => {
  test('a path under a regular file: no throw, every event on stderr, TT_ERR_SINK_WRITE; it recovers once the path is usable', async (t) => {
    const dir = tempDir(t, 'tt-file-sink-blocked')
    const blocker = join(dir, 'logs')
    writeFileSync(blocker, 'a file where the directory should be')
    const path = join(blocker, 'audit.jsonl')
    const run = await runFixture(['recover', path, '20'])
    assert.equal(run.code, 0, `exit ${run.code}; stderr: ${run.stderr.slice(0, 2000)}`)
    const { blocked, recovered } = JSON.parse(run.stdout) as Record<'blocked' | 'recovered', { stats: Record<string, number>; codes: string[] }>
    assert.deepEqual(blocked.codes, ['TT_ERR_SINK_WRITE'], 'reported once per outage, not per write')
    assert.equal(blocked.stats.sent, 0)
    assert.equal(blocked.stats.dropped, 20)
    assert.ok(blocked.stats.failed! >= 1)
    const emergency = emergencyEvents(run.stderr.split('\n'))
    assert.deepEqual(emergency.map((e) => e.message), Array.from({ length: 20 }, (_, i) => `order ${i}`))
    for (const e of emergency) assert.match(e.id as string, UUIDV7, 'the full event, so it can be recovered')
    assert.deepEqual(recovered.codes, [])
    assert.equal(recovered.stats.sent, 20)
    assert.deepEqual(readLines(path).map((l) => (JSON.parse(l) as { message: string }).message), Array.from({ length: 20 }, (_, i) => `order ${i + 20}`))
  })

  test('a path that is a directory: writes fail and are reported, nothing throws', async (t) => {
    const dir = tempDir(t, 'tt-file-sink-isdir')
    const path = join(dir, 'audit.jsonl')
    mkdirSync(path)
    const errors: TradetrailError[] = []
    const sink = new FileSink({ project: 'P', path, ...SAFE, onError: (e) => errors.push(e) })
    const stderr = await captureStderr(t, async () => {
      sink.send('test', 'one')
      sink.send('test', 'two')
      await sink.close()
    })
    assert.deepEqual(emergencyEvents(stderr).map((e) => e.message), ['one', 'two'])
    assert.deepEqual(errors.map((e) => e.code), ['TT_ERR_SINK_WRITE'])
    assert.match(errors[0]!.message, /^audit file .*audit\.jsonl: it is a directory; give the path of a file; events go to stderr/)
    assert.equal(sink.stats().failed, 1)
  })

  test('a directory removed while the file is open is made again; nothing written after is lost', async (t) => {
    const { sink, path, errors } = openSink(t)
    sink.send('test', 'before')
    await sink.flush()
    rmSync(join(path, '..'), { recursive: true })
    sink.send('test', 'after')
    await sink.flush()
    assert.deepEqual(readLines(path).map((l) => (JSON.parse(l) as { message: string }).message), ['after'])
    assert.deepEqual(errors, [])
    assert.equal(sink.stats().sent, 2)
  })
})

describe('FileSink and process exit', () => {
  test('events sent just before process.exit() are all in the file', async (t) => {
    const path = join(tempDir(t, 'tt-file-sink-exit'), 'logs', 'audit.jsonl')
    const run = await runFixture(['exit', path, '1000'])
    assert.equal(run.code, 0, run.stderr)
    assert.equal(run.stderr, '')
    const lines = readLines(path)
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { message: string }).message), Array.from({ length: 1000 }, (_, i) => `order ${i}`))
  })

  test('an exit while writes are under way loses nothing and splits no line', async (t) => {
    for (let round = 0; round < 3; round++) {
      const path = join(tempDir(t, 'tt-file-sink-exit'), 'audit.jsonl')
      const run = await runFixture(['exit-in-flight', path, '2000'])
      assert.equal(run.code, 0, run.stderr)
      const messages = new Set(readLines(path).map((l) => (JSON.parse(l) as { message: string }).message))
      // A batch the thread pool was still writing may appear twice (same id); none is missing.
      assert.equal(messages.size, 2000)
    }
  })
})

describe('FileSink and tradetrail import', () => {
  test('the file imports unchanged: same ids, times, types and messages; a second import stores nothing twice', async (t) => {
    const { sink, path } = openSink(t, { source: 'Engine', metadata: { host: 'h1' } })
    sink.send('trade_opened', 'Opened long EURUSD', { symbol: 'EURUSD', price: 1.085 })
    sink.send('risk_limit_breach', 'Daily loss limit breached: "-2.1%"\nhalting', undefined, { severity: 'critical', actor: 'risk' })
    sink.send('my.custom:event', 'ünïcödé ✓ 🚀', { nested: { deep: [1, 2, { x: null }] } })
    sink.send('test', 'own id and time', undefined, { id: '0190b6a2-3c4d-7e5f-8a6b-7c8d9e0f1a2b', ts: '2025-12-17T21:00:03.123456789Z' })
    await sink.close()
    const written = readLines(path).map((l) => JSON.parse(l) as Record<string, unknown>)
    const dataDir = join(tempDir(t, 'tt-file-sink-import'), 'data')
    const first = await runCli(['import', path, '--json'], { dataDir })
    assert.equal(first.code, 0, describeRun(first))
    assert.deepEqual(parseJson(first), { lines: 4, accepted: 4, duplicates: 0, errors: [] })
    const again = await runCli(['import', path, '--json'], { dataDir })
    assert.deepEqual(parseJson(again), { lines: 4, accepted: 0, duplicates: 4, errors: [] })
    const exported = await runCli(['export', '--format', 'jsonl'], { dataDir })
    assert.equal(exported.code, 0, describeRun(exported))
    const stored = exported.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
    const fields = ['id', 'ts', 'project', 'type', 'severity', 'message', 'source', 'actor', 'data', 'metadata']
    const pick = (e: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(fields.filter((f) => f in e).map((f) => [f, e[f]]))
    assert.deepEqual(stored.map(pick), written.map(pick))
  })
})

/** Arguments of send(): anything at all, and values near what the collector refuses. */
function sendArguments(): fc.Arbitrary<[unknown, unknown, unknown, unknown]> {
  const any = fc.anything({ stringUnit: 'binary', withDate: true, withBoxedValues: true, withNullPrototype: true, withMap: true })
  const deep = fc.integer({ min: 60, max: 70 }).map((depth) => {
    let value: unknown = { leaf: true }
    for (let i = 0; i < depth; i++) value = i % 2 === 0 ? { v: value } : [value]
    return { nested: value }
  })
  // Lone surrogates: JSON carries them only as escapes, and the collector refuses them.
  const text = fc.string({ unit: fc.oneof(fc.constantFrom('\ud800', '\udfff', '\\ud800'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })) })
  const type = fc.oneof(fc.constantFrom('trade_opened', 'custom.kind:x-1', 'Bad', ''), any)
  const options = fc.oneof(any, fc.record({
    id: fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.string()),
    ts: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()),
    severity: fc.oneof(fc.constantFrom('debug', 'critical', 'loud'), any),
    source: fc.oneof(text, any),
    actor: text,
    metadata: fc.oneof(any, deep, fc.date(), fc.dictionary(text, text)),
  }, { requiredKeys: [] }))
  return fc.tuple(type, fc.oneof(text, any), fc.oneof(any, deep, fc.date(), fc.dictionary(text, text)), options)
}

describe('FileSink send() with any arguments', () => {
  test('never throws; every call ends as a written line or a reported drop; every line is one the collector accepts', async (t) => {
    const dir = tempDir(t, 'tt-file-sink-fuzz')
    let round = 0
    await fc.assert(fc.asyncProperty(
      fc.array(sendArguments(), { maxLength: 20 }),
      async (calls) => {
        const path = join(dir, `audit-${round++}.jsonl`)
        let reported = 0
        const sink = new FileSink({ project: 'FuzzBot', path, ...SAFE, onError: () => { reported++ } })
        const stderr = await captureStderr(t, async () => {
          for (const [type, message, data, options] of calls) {
            assert.doesNotThrow(() => sink.send(type as string, message as string, data as Record<string, unknown>, options as object))
          }
          await sink.close()
        })
        const stats = sink.stats()
        const lines = readLines(path)
        assert.equal(stats.sent + stats.dropped, calls.length)
        assert.equal(lines.length, stats.sent)
        assert.equal(reported, stats.dropped)
        assert.equal(emergencyEvents(stderr).length, stats.dropped)
        for (const line of lines) {
          const problems: Problem[] = []
          assert.ok(prepareEvent(JSON.parse(line), 0, 0, problems) !== undefined, `${line}: ${JSON.stringify(problems)}`)
        }
      },
    ), { numRuns: 200 })
  })

  test('a hostile options object (a getter that throws) is a reported drop', async (t) => {
    const { sink, errors } = openSink(t)
    const hostile = { get severity(): string { throw new Error('boom') } }
    await captureStderr(t, async () => {
      assert.doesNotThrow(() => sink.send('test', 'hostile', undefined, hostile))
      await sink.flush()
    })
    assert.deepEqual(errors.map((e) => e.code), ['TT_ERR_EVENT_BAD_VALUE'])
    assert.equal(sink.stats().dropped, 1)
  })
})
