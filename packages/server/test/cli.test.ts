/**
 * `tradetrail` end to end: every storage command run as a real process on a real data
 * directory, with and without --json, its --help, and bad input that must fail with a clear
 * one-line reason, the right exit code (2 for a wrong command line, 1 otherwise) and no change
 * to the trail.
 */
import assert from 'node:assert/strict'
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test, type TestContext } from 'node:test'
import { ManualClock, type StoredEvent, systemClock } from '@tradetrail/core'
import {
  type CliResult, describeRun, errorLines, parseJson, permissionsApply, runCli, startCli, tempDir, waitFor,
} from '@tradetrail/test-support'
import { copyDataDir, snapshotTrail, storedEvents, writeTrail } from './helpers/trail.ts'

const NOW = Date.now()
const hoursAgo = (h: number): string => new Date(NOW - h * 3_600_000).toISOString()

/** The trail most tests start from (each test works on its own copy). */
const FIXTURE: Array<Record<string, unknown>> = [
  { project: 'AlphaBot', type: 'trade_opened', ts: '2025-12-17T09:00:03Z', message: 'Opened long EURUSD', source: 'OrderRouter', data: { symbol: 'EURUSD', price: 1.085, quantity: 10000 } },
  { project: 'AlphaBot', type: 'order_rejected', severity: 'error', ts: '2025-12-17T09:05:00.123456789Z', message: 'Order rejected: insufficient margin', data: { error_code: 'MARGIN' } },
  { project: 'RiskEngine', type: 'risk_limit_breach', severity: 'critical', ts: '2025-12-17T10:00:00Z', message: 'Daily loss limit breached', actor: 'risk-bot' },
  { project: 'RiskEngine', type: 'config_change', severity: 'notice', ts: '2025-12-18T08:00:00Z', message: 'Raised max position to 5 lots', metadata: { host: 'r1', pid: 42 } },
  { project: 'QuantumTrader', type: 'auto_repair', ts: '2025-12-15T00:00:00Z', message: 'Auto-repair: Restarted Grafana container', source: 'auto_repair_system' },
  { project: 'QuantumTrader', type: 'self_heal', severity: 'warning', ts: '2025-12-01T00:00:00Z', message: 'Weekly self-heal: Module integrity check - WARNING' },
  { project: 'AlphaBot', type: 'trade_closed', ts: '2025-11-30T23:59:59.999999999Z', message: 'Closed "the, big one"\nat a loss', data: { note: 'a,b "c"' } },
  { project: 'Streamer', type: 'boot', ts: hoursAgo(2), message: 'Streamer booted' },
  { project: 'AlphaBot', type: 'order_filled', ts: hoursAgo(1), message: 'Filled 10000 EURUSD at 1.0851', data: { symbol: 'EURUSD' } },
  { project: 'RiskEngine', type: 'test', severity: 'debug', ts: hoursAgo(40), message: 'Old heartbeat' },
]
const COMMANDS = ['log', 'query', 'tail', 'stats', 'verify', 'export', 'dump', 'import', 'summary', 'checkpoints', 'purge', 'hold'] as const

const fixtureDir = join(tempDir({ after }, 'tt-cli-fixture'), 'data')
let fixtureEvents: StoredEvent[]

before(async () => {
  await writeTrail(fixtureDir, [FIXTURE.slice(0, 5), FIXTURE.slice(5)], { checkpointEvery: 4 })
  fixtureEvents = await storedEvents(fixtureDir)
  assert.equal(fixtureEvents.length, FIXTURE.length)
})

/** A copy of the fixture trail owned by test `t`. */
const fixtureCopy = (t: TestContext): string => copyDataDir(t, fixtureDir)
const bySeq = (seq: number): StoredEvent => fixtureEvents.find((e) => e.seq === seq)!
const seqOf = (message: string): number => fixtureEvents.find((e) => e.message === message)!.seq

function assertOk(result: CliResult): void {
  assert.equal(result.code, 0, describeRun(result))
  assert.deepEqual(errorLines(result.stderr), [], describeRun(result))
}

/** `--help` prints the command's usage and its options, exits 0, and touches no data directory. */
function helpTest(command: string, mentions: string[]): void {
  test(`${command} --help describes the command and its options`, async (t) => {
    const dataDir = join(tempDir(t, 'tt-help'), 'never-created')
    const result = await runCli([command, '--help'], { dataDir })
    assertOk(result)
    assert.match(result.stdout, new RegExp(`^Usage: tradetrail ${command}[ |]`, 'm'))
    for (const option of [...mentions, '--help']) assert.ok(result.stdout.includes(option), `help of ${command} mentions ${option}: ${result.stdout}`)
    assert.equal(existsSync(dataDir), false, '--help must not create the data directory')
  })
}

interface BadInput {
  /** What is wrong, for the test name. */
  what: string
  /** The command line; a function when it needs a path in the test's own temp dir. */
  args: string[] | ((t: TestContext) => string[])
  /** 2: the command line itself is wrong; 1: anything else. */
  code: 1 | 2
  /** The stderr line must match every one of these. */
  says: RegExp[]
  /** Set while a known bug breaks the exit-code / one-line part of the contract. */
  /** The data directory to use (default: a copy of the fixture). */
  dataDir?: (t: TestContext) => string
}


/** Bad input: non-zero exit, one stderr line saying what is wrong, no output, the trail unchanged. */
function badInputTest(command: string, bad: BadInput): void {
  test(`${command}: ${bad.what} is refused and changes nothing`, async (t) => {
    const dataDir = bad.dataDir?.(t) ?? fixtureCopy(t)
    const args = typeof bad.args === 'function' ? bad.args(t) : bad.args
    const before = snapshotTrail(dataDir)
    const result = await runCli(args, { dataDir })
    const lines = errorLines(result.stderr)
    await t.test('fails with a reason that says what is wrong, and changes nothing', () => {
      assert.notEqual(result.code, 0, describeRun(result))
      assert.equal(result.signal, null, describeRun(result))
      assert.ok(lines.length >= 1, `a reason on stderr: ${describeRun(result)}`)
      for (const re of bad.says) assert.match(lines[0]!, re)
      assert.equal(result.stdout, '', 'nothing on stdout')
      assert.deepEqual(snapshotTrail(dataDir), before, 'the data directory is unchanged')
    })
    await t.test(`exits ${bad.code} with exactly one line on stderr`, () => {
      assert.equal(result.code, bad.code, describeRun(result))
      assert.equal(lines.length, 1, `one line, got ${JSON.stringify(lines)}`)
    })
  })
}

/** A path nobody can create a data directory at, also when the tests run as root. */
function unusableDataDir(t: TestContext): string {
  const root = tempDir(t, 'tt-unusable')
  if (permissionsApply) {
    const parent = join(root, 'read-only')
    mkdirSync(parent)
    chmodSync(parent, 0o500)
    return join(parent, 'data')
  }
  // Root ignores permission bits; nobody can make a directory under a regular file.
  const file = join(root, 'a-file')
  writeFileSync(file, 'not a directory\n')
  return join(file, 'data')
}

/** A file path this user may not create: under a directory without write permission, or for root in sysfs, which refuses new files to root too. */
function unwritableFile(t: TestContext): string {
  if (!permissionsApply) return '/sys/tradetrail-export.jsonl'
  const parent = join(tempDir(t, 'tt-unwritable'), 'read-only')
  mkdirSync(parent)
  chmodSync(parent, 0o500)
  return join(parent, 'trail.jsonl')
}

/** RFC 4180 parser (quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++ } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(field); field = '' } else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++ } else field += c
  }
  assert.equal(quoted, false, 'CSV ends inside a quoted field')
  assert.equal(field + row.join(''), '', 'CSV ends with CRLF')
  return rows
}

const jsonLines = (text: string): unknown[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))

describe('tradetrail CLI', { concurrency: 2 }, () => {
  describe('tradetrail (global options)', () => {
    test('--help lists every command', async () => {
      const result = await runCli(['--help'])
      assertOk(result)
      for (const command of COMMANDS) assert.match(result.stdout, new RegExp(`^  ${command}\\b`, 'm'), `--help lists ${command}`)
      for (const option of ['--data-dir', '--json']) assert.ok(result.stdout.includes(option), `--help mentions ${option}`)
    })

    test('TRADETRAIL_DATA_DIR chooses the data directory when --data-dir is absent', async (t) => {
      const dataDir = join(tempDir(t, 'tt-env'), 'from-env')
      const result = await runCli(['log', 'chosen by the environment', '--json'], { env: { TRADETRAIL_DATA_DIR: dataDir } })
      assertOk(result)
      const { id } = parseJson<{ id: string }>(result)
      const events = await storedEvents(dataDir)
      assert.deepEqual(events.map((e) => [e.id, e.message]), [[id, 'chosen by the environment']])
    })

    badInputTest('log', {
      what: 'a data directory that cannot be created',
      args: ['log', 'nowhere to go'],
      code: 1,
      says: [/cannot be used/, /TT_ERR_STORE_DATA_DIR/, /tt-unusable-/],
      dataDir: unusableDataDir,
    })
  })

  describe('log', () => {
    helpTest('log', ['<message>', '--project', '--type', '--severity', '--source', '--actor', '--data ', '--data-json', '--ts', '--id'])

    test('log records one event with every field, and --json reports the append', async (t) => {
      const dataDir = join(tempDir(t, 'tt-log'), 'data')
      const result = await runCli([
        'log', 'Opened long EURUSD', '--project', 'MyTradingBot', '--type', 'trade_opened', '--severity', 'notice',
        '--source', 'OrderRouter', '--actor', 'alice', '--data', 'symbol=EURUSD', '--data', 'price=1.085', '--data', 'quantity=10000',
        '--data', 'live=true', '--data', 'code=007', '--data-json', '{"venue":"LMAX","price":2,"legs":[1,2]}',
        '--ts', '2025-12-17T21:00:03.123456789Z', '--json',
      ], { dataDir })
      assertOk(result)
      const out = parseJson<Record<string, unknown>>(result)
      assert.deepEqual({ ...out, id: undefined }, { id: undefined, accepted: 1, duplicates: 0, first_seq: 1, last_seq: 1 })
      const [event, ...rest] = await storedEvents(dataDir)
      assert.equal(rest.length, 0)
      assert.equal(event!.id, out.id)
      assert.match(event!.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUIDv7')
      assert.deepEqual(
        { ts: event!.ts, project: event!.project, type: event!.type, severity: event!.severity, message: event!.message, source: event!.source, actor: event!.actor, data: event!.data },
        {
          ts: '2025-12-17T21:00:03.123456789Z', project: 'MyTradingBot', type: 'trade_opened', severity: 'notice', message: 'Opened long EURUSD',
          source: 'OrderRouter', actor: 'alice',
          // --data wins over --data-json for the same key; numbers and booleans become JSON values, 007 stays text.
          data: { venue: 'LMAX', price: 1.085, legs: [1, 2], symbol: 'EURUSD', quantity: 10000, live: true, code: '007' },
        },
      )
    })

    test('log with an --id already stored records nothing twice', async (t) => {
      const dataDir = fixtureCopy(t)
      const id = '0193b5c4-1d2e-7f30-8a41-b2c3d4e5f607'
      const first = await runCli(['log', 'Filled order 42', '--project', 'AlphaBot', '--id', id], { dataDir })
      assertOk(first)
      assert.equal(first.stdout, `recorded #${FIXTURE.length + 1} ${id}\n`)
      const again = await runCli(['log', 'Filled order 42', '--project', 'AlphaBot', '--id', id, '--json'], { dataDir })
      assertOk(again)
      assert.deepEqual(parseJson(again), { id, accepted: 0, duplicates: 1, first_seq: null, last_seq: null })
      const events = await storedEvents(dataDir)
      assert.deepEqual(events.filter((e) => e.id === id).map((e) => e.seq), [FIXTURE.length + 1])
      assert.equal(events.length, FIXTURE.length + 1)
    })

    badInputTest('log', { what: 'malformed --data-json', args: ['log', 'x', '--data-json', '{"price": 1.2'], code: 2, says: [/--data-json is not valid JSON/, /TT_ERR_CLI_USAGE/] })
    badInputTest('log', {
      what: 'a message over 8 KiB (counted in UTF-8 bytes)',
      // 2731 characters, 8193 bytes.
      args: ['log', '€'.repeat(2731)], code: 1, says: [/"message" is 8193 bytes/, /limit is 8192/, /TT_ERR_EVENT_TOO_LARGE/],
    })
    test('log with bad input on a new data directory creates nothing there', async (t) => {
      const dataDir = join(tempDir(t, 'tt-log-fresh'), 'data')
      const result = await runCli(['log', 'x', '--ts', 'yesterday'], { dataDir })
      assert.equal(result.code, 1, describeRun(result))
      assert.match(errorLines(result.stderr).join('\n'), /TT_ERR_EVENT_BAD_TIMESTAMP/)
      assert.equal(existsSync(dataDir), false, 'the data directory was created for an event that was refused')
    })
    badInputTest('log', { what: 'an invalid project name', args: ['log', 'x', '--project', 'My Bot!'], code: 1, says: [/"project" must be 1 to 64 characters/, /TT_ERR_EVENT_BAD_VALUE/] })
  })

  describe('query', () => {
    helpTest('query', ['--project', '--type', '--severity', '--source', '--since', '--until', '--q', '--after-seq', '--limit', '--order'])

    test('query prints one line per event, newest first', async (t) => {
      const result = await runCli(['query'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      const lines = result.stdout.split('\n').filter((l) => l !== '' && l.startsWith('#'))
      assert.deepEqual(lines.map((l) => Number(/^#(\d+) /.exec(l)?.[1])), fixtureEvents.map((e) => e.seq).reverse())
      const first = bySeq(seqOf('Opened long EURUSD'))
      assert.ok(result.stdout.includes(`#${first.seq} ${first.ts} info     AlphaBot trade_opened  Opened long EURUSD [OrderRouter] {"price":1.085,"quantity":10000,"symbol":"EURUSD"}\n`), result.stdout)
    })

    test('query --json applies project and minimum severity', async (t) => {
      const result = await runCli(['query', '--json', '--project', 'AlphaBot', '--severity', 'warning'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      assert.deepEqual(parseJson(result), { events: [bySeq(seqOf('Order rejected: insufficient margin'))] })
    })

    test('query --json applies --since/--until (dates) in ascending order', async (t) => {
      const result = await runCli(['query', '--json', '--since', '2025-12-17', '--until', '2025-12-18', '--order', 'asc'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      const expected = fixtureEvents.filter((e) => e.ts >= '2025-12-17' && e.ts < '2025-12-18')
      assert.equal(expected.length, 3)
      assert.deepEqual(parseJson(result), { events: expected })
    })

    badInputTest('query', { what: '--limit 0', args: ['query', '--limit', '0'], code: 2, says: [/--limit/, /"0"/, /TT_ERR_CLI_USAGE/] })
    badInputTest('query', { what: 'a bad --since', args: ['query', '--since', 'last tuesday'], code: 2, says: [/--since must be an RFC 3339 UTC time/, /"last tuesday"/, /TT_ERR_CLI_USAGE/] })
    badInputTest('query', { what: 'a bad --severity', args: ['query', '--severity', 'fatal'], code: 2, says: [/--severity/, /'fatal'/] })
  })

  describe('tail', () => {
    helpTest('tail', ['--lines', '--follow', '--interval', '--project', '--since'])

    test('tail -n 3 shows the three latest events, oldest first', async (t) => {
      const result = await runCli(['tail', '-n', '3'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      const seqs = result.stdout.split('\n').filter((l) => l !== '').map((l) => Number(/^#(\d+) /.exec(l)?.[1]))
      assert.deepEqual(seqs, fixtureEvents.slice(-3).map((e) => e.seq))
    })

    test('tail -n 3 --json prints JSON lines', async (t) => {
      const result = await runCli(['tail', '-n', '3', '--json'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      assert.deepEqual(jsonLines(result.stdout), fixtureEvents.slice(-3))
    })

    test('tail -f streams an event another process appends, skips what the filter excludes, stops on SIGTERM', async (t) => {
      const dataDir = fixtureCopy(t)
      const tail = startCli(t, ['tail', '-f', '--json', '-n', '1', '--project', 'Streamer', '--interval', '20'], { dataDir })
      const lines = (): string[] => tail.stdout().split('\n').filter((l) => l !== '')
      // The already stored Streamer event shows that tail is following from it.
      await waitFor(lines, (l) => l.length >= 1, { describe: 'tail to print the latest Streamer event', timeoutMs: 60_000, show: () => describeRun({ code: tail.child.exitCode, signal: null, stdout: tail.stdout(), stderr: tail.stderr() }) })
      assertOk(await runCli(['log', 'noise from another project', '--project', 'Other'], { dataDir }))
      const logged = await runCli(['log', 'live event', '--project', 'Streamer', '--json'], { dataDir })
      assertOk(logged)
      const { id } = parseJson<{ id: string }>(logged)
      await waitFor(lines, (l) => l.length >= 2, { describe: 'tail -f to print the new Streamer event', timeoutMs: 30_000, show: (l) => JSON.stringify(l) })
      tail.child.kill('SIGTERM')
      const exit = await Promise.race([tail.exited, waitFor(() => tail.child.exitCode, (c) => c !== null, { describe: 'tail -f to exit after SIGTERM', timeoutMs: 10_000 }).then(() => tail.exited)])
      assert.equal(exit.code, 0, describeRun(exit))
      const events = jsonLines(exit.stdout) as StoredEvent[]
      assert.deepEqual(events.map((e) => [e.project, e.message]), [['Streamer', 'Streamer booted'], ['Streamer', 'live event']])
      assert.equal(events[1]!.id, id)
      assert.deepEqual(errorLines(exit.stderr), [])
    })

    badInputTest('tail', { what: 'a -n that is not a number', args: ['tail', '-n', 'many'], code: 2, says: [/--lines/, /"many"/, /TT_ERR_CLI_USAGE/] })
  })

  describe('stats', () => {
    helpTest('stats', ['--project', '--since', '--until'])

    test('stats prints totals by project, type and severity', async (t) => {
      const result = await runCli(['stats'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      assert.match(result.stdout, new RegExp(`^total ${FIXTURE.length}\n`))
      for (const heading of ['by project', 'by type', 'by severity']) assert.match(result.stdout, new RegExp(`^${heading}$`, 'm'))
      assert.match(result.stdout, /^ {2}AlphaBot {2}4$/m)
      assert.match(result.stdout, /^ {2}critical {2}1$/m)
    })

    test('stats --json counts the events of a time range', async (t) => {
      const result = await runCli(['stats', '--json', '--since', '2025-12-15', '--until', '2025-12-19T00:00:00Z'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      assert.deepEqual(parseJson(result), {
        total: 5,
        by_project: { AlphaBot: 2, RiskEngine: 2, QuantumTrader: 1 },
        by_type: { trade_opened: 1, order_rejected: 1, risk_limit_breach: 1, config_change: 1, auto_repair: 1 },
        by_severity: { info: 2, error: 1, critical: 1, notice: 1 },
      })
    })

    badInputTest('stats', { what: 'a bad --until', args: ['stats', '--until', '2025-13-01'], code: 2, says: [/--until must be an RFC 3339 UTC time/, /"2025-13-01"/] })
  })

  describe('verify', () => {
    helpTest('verify', ['--public-key'])

    test('verify --json reports the checked range and checkpoints', async (t) => {
      const result = await runCli(['verify', '--json'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      const report = parseJson<Record<string, any>>(result)
      assert.equal(report.ok, true)
      assert.equal(report.problem, null)
      assert.deepEqual([report.checked, report.first_seq, report.last_seq, report.anchor_seq], [FIXTURE.length, 1, FIXTURE.length, 0])
      assert.ok(report.checkpoints.total >= 2, 'checkpointEvery 4 and the close checkpoint')
      assert.equal(report.checkpoints.verified, report.checkpoints.total)
      assert.equal(report.checkpoints.latest.seq, FIXTURE.length, 'the head is checkpointed when the writer closes')
    })

    badInputTest('verify', {
      what: 'a --public-key file that does not exist', args: ['verify', '--public-key', '/nonexistent/key.pem'], code: 1,
      says: [/\/nonexistent\/key\.pem does not exist \(ENOENT\)/, /TT_ERR_FILE_NOT_FOUND/],
    })
    badInputTest('verify', {
      what: 'a --checkpoints export that is a directory', args: (t) => ['verify', '--checkpoints', tempDir(t, 'tt-checkpoints-dir')], code: 1,
      says: [/is a directory \(EISDIR\)/, /TT_ERR_FILE_IS_DIRECTORY/],
    })
    badInputTest('verify', {
      what: 'a --public-key file that holds no key', code: 1, says: [/not a readable PEM public key/, /TT_ERR_FILE_ACCESS/],
      args: (t) => {
        const file = join(tempDir(t, 'tt-bad-key'), 'key.pem')
        writeFileSync(file, 'not a key\n')
        return ['verify', '--public-key', file]
      },
    })
  })

  describe('export', () => {
    helpTest('export', ['--format', 'csv', 'jsonl', '--out', '--project', '--since'])

    test('export --format csv streams RFC 4180 rows of the stored values', async (t) => {
      const result = await runCli(['export', '--format', 'csv'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      const [header, ...rows] = parseCsv(result.stdout)
      assert.deepEqual(header, ['seq', 'id', 'ts', 'received_at', 'project', 'type', 'severity', 'message', 'source', 'actor', 'data', 'metadata', 'flags', 'hash'])
      assert.deepEqual(rows, fixtureEvents.map((e) => [
        String(e.seq), e.id, e.ts, e.received_at, e.project, e.type, e.severity, e.message, e.source ?? '', e.actor ?? '',
        e.data ? JSON.stringify(e.data) : '', e.metadata ? JSON.stringify(e.metadata) : '', '', e.hash,
      ]))
      assert.ok(rows.some((r) => r[7] === 'Closed "the, big one"\nat a loss'), 'quotes, commas and line breaks survive')
    })

    test('export --format jsonl --out writes the matching events to the file, nothing to stdout', async (t) => {
      const out = join(tempDir(t, 'tt-export-out'), 'alpha.jsonl')
      const result = await runCli(['export', '--format', 'jsonl', '--project', 'AlphaBot', '--out', out], { dataDir: fixtureCopy(t) })
      assertOk(result)
      assert.equal(result.stdout, '')
      const expected = fixtureEvents.filter((e) => e.project === 'AlphaBot')
      assert.equal(expected.length, 4)
      assert.deepEqual(jsonLines(readFileSync(out, 'utf8')), expected)
    })

    // Each OS condition an --out can meet, produced for real here (EROFS needs a read-only mount: os-errors.test.ts maps it).
    badInputTest('export', {
      what: '--out under a regular file (ENOTDIR)', code: 1, says: [/not-a-dir\/trail\.csv cannot exist: a part of its path is a file/, /TT_ERR_FILE_NOT_FOUND/],
      args: (t) => {
        const file = join(tempDir(t, 'tt-export-bad'), 'not-a-dir')
        writeFileSync(file, 'x')
        return ['export', '--format', 'csv', '--out', join(file, 'trail.csv')]
      },
    })
    badInputTest('export', {
      what: '--out in a directory that does not exist (ENOENT)', code: 1,
      says: [/no-such-dir\/trail\.jsonl cannot be created: its directory does not exist \(ENOENT\)/, /TT_ERR_FILE_NOT_FOUND/],
      args: (t) => ['export', '--out', join(tempDir(t, 'tt-export-missing'), 'no-such-dir', 'trail.jsonl')],
    })
    badInputTest('export', {
      what: '--out naming a directory (EISDIR)', code: 1, says: [/tt-export-dir[^ ]* is a directory \(EISDIR\)/, /TT_ERR_FILE_IS_DIRECTORY/],
      args: (t) => ['export', '--out', tempDir(t, 'tt-export-dir')],
    })
    badInputTest('export', {
      what: '--out where this user may not write (EACCES)', code: 1, says: [/this user may not write .*\(EACCES\)/, /TT_ERR_FILE_PERMISSION/],
      args: (t) => ['export', '--out', unwritableFile(t)],
    })
    badInputTest('export', {
      what: '--out on a full disk (ENOSPC, /dev/full)', code: 1, says: [/the disk holding \/dev\/full is full \(ENOSPC\)/, /TT_ERR_FILE_DISK_FULL/],
      args: ['export', '--out', '/dev/full'],
    })

    test('export and query to a full disk behind standard output fail with TT_ERR_FILE_DISK_FULL, one line, no stack trace', async (t) => {
      const dataDir = fixtureCopy(t)
      for (const args of [['export'], ['query'], ['stats', '--json']]) {
        const result = await runCli(args, { dataDir, stdoutTo: '/dev/full' })
        assert.equal(result.code, 1, describeRun(result))
        assert.deepEqual(errorLines(result.stderr), [
          'tradetrail: the disk holding standard output is full (ENOSPC); what was written there is incomplete. Make room, then run the command again (TT_ERR_FILE_DISK_FULL)',
        ], describeRun(result))
      }
    })
  })

  describe('dump', () => {
    helpTest('dump', ['--hours', '--out'])

    test('dump --hours 30 prints seed 002\'s object of recent events by project, as GET /v1/dump', async (t) => {
      const result = await runCli(['dump', '--hours', '30'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      const recent = fixtureEvents.filter((e) => Date.parse(e.ts) >= NOW - 30 * 3_600_000)
      assert.deepEqual(recent.map((e) => e.message).sort(), ['Filled 10000 EURUSD at 1.0851', 'Streamer booted'])
      const filled = bySeq(seqOf('Filled 10000 EURUSD at 1.0851'))
      const booted = bySeq(seqOf('Streamer booted'))
      assert.deepEqual(parseJson(result), {
        AlphaBot: [{ event_type: 'order_filled', event_description: filled.message, timestamp: Date.parse(filled.ts) / 1000, symbol: 'EURUSD', tradetrail: { id: filled.id, seq: filled.seq, ts: filled.ts, severity: 'info' } }],
        Streamer: [{
          event_type: 'boot', event_description: booted.message, timestamp: Date.parse(booted.ts) / 1000,
          project_name: 'Streamer', project_market: null, project_description: null, project_privileges: null,
          tradetrail: { id: booted.id, seq: booted.seq, ts: booted.ts, severity: 'info' },
        }],
      })
    })

    test('dump --hours 48 --out --json writes the file, reaching further back', async (t) => {
      const out = join(tempDir(t, 'tt-dump'), 'dumped_audit_trails.json')
      const result = await runCli(['dump', '--hours', '48', '--out', out, '--json'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      assert.equal(result.stdout, '')
      const dump = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Array<{ event_description: string }>>
      assert.deepEqual(Object.keys(dump), ['AlphaBot', 'RiskEngine', 'Streamer'])
      assert.deepEqual(dump.RiskEngine!.map((r) => r.event_description), ['Old heartbeat'])
    })

    badInputTest('dump', { what: '--hours 0', args: ['dump', '--hours', '0'], code: 2, says: [/--hours/, /"0"/, /TT_ERR_CLI_USAGE/] })
  })

  describe('import', () => {
    helpTest('import', ['<file>', '--project', '--strict'])

    test('import reads seed 000 lines; --json reports a re-import as all duplicates', async (t) => {
      const dataDir = fixtureCopy(t)
      const file = join(tempDir(t, 'tt-import'), 'AUTO_REPAIR_AUDIT.log')
      writeFileSync(file, '[2025-12-17T21:00:03Z] Auto-repair: Cleaned Docker cache\n[2025-12-17T21:15:00Z] Weekly self-heal: Started validation cycle\n')
      const first = await runCli(['import', file, '--project', 'QuantumTrader'], { dataDir })
      assertOk(first)
      assert.equal(first.stdout, 'imported 2 events (0 already present) from 2 lines; 0 bad\n')
      const again = await runCli(['import', file, '--project', 'QuantumTrader', '--json'], { dataDir })
      assertOk(again)
      assert.deepEqual(parseJson(again), { lines: 2, accepted: 0, duplicates: 2, errors: [] })
      const imported = (await storedEvents(dataDir)).slice(FIXTURE.length)
      assert.deepEqual(imported.map((e) => [e.ts, e.project, e.message]), [
        ['2025-12-17T21:00:03Z', 'QuantumTrader', 'Auto-repair: Cleaned Docker cache'],
        ['2025-12-17T21:15:00Z', 'QuantumTrader', 'Weekly self-heal: Started validation cycle'],
      ])
    })

    badInputTest('import', {
      what: 'a file that does not exist', args: ['import', '/nonexistent/audit.log'], code: 1,
      says: [/\/nonexistent\/audit\.log does not exist \(ENOENT\); check the path/, /TT_ERR_FILE_NOT_FOUND/],
    })
    badInputTest('import', {
      what: 'a directory', args: (t) => ['import', tempDir(t, 'tt-import-a-dir')], code: 1,
      says: [/\/tt-import-a-dir[^ ]* is a directory \(EISDIR\); name a file/, /TT_ERR_FILE_IS_DIRECTORY/],
    })
  })

  describe('summary', () => {
    helpTest('summary', ['--period', 'day', 'week', 'month', '--date', '--send', 'daily_summary'])

    test('summary --period day --date prints seed 000\'s summary, errors first', async (t) => {
      const result = await runCli(['summary', '--period', 'day', '--date', '2025-12-17'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      const text = result.stdout
      assert.ok(text.startsWith('Tradetrail – Daily Audit Summary (2025-12-17)\n\n📊 Total events: 3 (critical 1, error 1, info 1)\n'), text)
      const failures = text.indexOf('❌ Failures and errors (2):')
      assert.ok(failures > 0, text)
      assert.ok(text.indexOf('[2025-12-17T10:00:00Z] RiskEngine/risk_limit_breach (critical): Daily loss limit breached') > failures, text)
      assert.ok(failures < text.indexOf('Recent actions:'), 'failures come before the recent actions')
      assert.ok(text.endsWith('⚠️ 3 events recorded, 2 failures or errors\n'), text)
    })

    test('summary --json for an ISO week', async (t) => {
      const result = await runCli(['summary', '--period', 'week', '--date', '2025-12-17', '--json'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      const w = parseJson<Record<string, any>>(result)
      assert.deepEqual([w.period, w.label, w.since, w.until, w.stats.total], ['week', '2025-12-15/2025-12-21', '2025-12-15T00:00:00.000000000Z', '2025-12-22T00:00:00.000000000Z', 5])
      assert.equal(w.title, 'Tradetrail – Weekly Audit Summary (2025-12-15 – 2025-12-21)')
      assert.deepEqual(w.problems.map((e: StoredEvent) => [e.severity, e.message]), [['critical', 'Daily loss limit breached'], ['error', 'Order rejected: insufficient margin']])
      assert.deepEqual(w.recent.map((e: StoredEvent) => e.seq), fixtureEvents.filter((e) => e.ts >= '2025-12-15' && e.ts < '2025-12-22').map((e) => e.seq))
    })

    badInputTest('summary', { what: 'an impossible --date', args: ['summary', '--date', '2025-02-30'], code: 2, says: [/--date/, /"2025-02-30"/, /TT_ERR_CLI_USAGE/] })
  })

  describe('checkpoints', () => {
    helpTest('checkpoints', ['--help'])

    test('checkpoints prints the key and one line per checkpoint', async (t) => {
      const dataDir = fixtureCopy(t)
      const result = await runCli(['checkpoints'], { dataDir })
      assertOk(result)
      assert.match(result.stdout, /^key [0-9a-f]{16} \(ed25519\)\n-----BEGIN PUBLIC KEY-----\n/)
      const head = bySeq(FIXTURE.length)
      assert.match(result.stdout, new RegExp(`^seq ${head.seq} {2}${head.hash} {2}\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`, 'm'))
    })

    test('checkpoints --json can be checked with nothing but the exported public key', async (t) => {
      const result = await runCli(['checkpoints', '--json'], { dataDir: fixtureCopy(t) })
      assertOk(result)
      const out = parseJson<{ algorithm: string; key_id: string; public_key: string; anchor: unknown; checkpoints: Array<{ seq: number; hash: string; time: string; key_id: string; signature: string }> }>(result)
      assert.equal(out.algorithm, 'ed25519')
      assert.equal(out.anchor, null)
      const key = createPublicKey(out.public_key)
      const raw = key.export({ format: 'der', type: 'spki' }).subarray(-32)
      assert.equal(out.key_id, createHash('sha256').update(raw).digest('hex').slice(0, 16))
      assert.ok(out.checkpoints.length >= 2)
      for (const c of out.checkpoints) {
        assert.equal(c.hash, bySeq(c.seq).hash, `checkpoint ${c.seq} signs the event's chain hash`)
        assert.equal(c.key_id, out.key_id)
        const payload = Buffer.from(`tradetrail-checkpoint-v1\n${c.seq}\n${c.hash}\n${c.time}\n`)
        assert.ok(verifySignature(null, payload, key, Buffer.from(c.signature, 'base64')), `signature of checkpoint ${c.seq}`)
      }
    })

    badInputTest('checkpoints', { what: 'an unknown option', args: ['checkpoints', '--bogus'], code: 2, says: [/unknown option '--bogus'/] })
  })

  describe('purge', () => {
    helpTest('purge', ['--older-than', '--below-minimum-retention'])

    /** 6 events received six years ago, then 3 received now. */
    async function agedTrail(t: TestContext): Promise<string> {
      const dataDir = join(tempDir(t, 'tt-purge'), 'data')
      const old = (i: number): Record<string, unknown> => ({ project: 'Old', message: `old ${i}`, ts: `2020-01-0${i}T00:00:00Z` })
      await writeTrail(dataDir, [[old(1), old(2), old(3)], [old(4), old(5), old(6)]], { clock: new ManualClock(NOW - 6 * 365 * 86_400_000) })
      await writeTrail(dataDir, [[{ project: 'New', message: 'new 1' }, { project: 'New', message: 'new 2' }], [{ project: 'New', message: 'new 3' }]], { clock: systemClock })
      return dataDir
    }

    test('purge --older-than removes the old range behind a signed anchor; the rest verifies; a second purge finds nothing', async (t) => {
      const dataDir = await agedTrail(t)
      const sixth = (await storedEvents(dataDir))[5]!
      const result = await runCli(['purge', '--older-than', '5y', '--json'], { dataDir })
      assertOk(result)
      const out = parseJson<{ purged: number; anchor: Record<string, unknown> }>(result)
      assert.equal(out.purged, 6)
      assert.deepEqual({ seq: out.anchor.seq, hash: out.anchor.hash, purged: out.anchor.purged }, { seq: 6, hash: sixth.hash, purged: 6 })
      assert.match(String(out.anchor.signature), /^[A-Za-z0-9+/]+=*$/)
      const left = await storedEvents(dataDir)
      assert.deepEqual(left.map((e) => [e.seq, e.message]), [[7, 'new 1'], [8, 'new 2'], [9, 'new 3'], [10, 'Retention purged 6 events through seq 6']])
      assert.deepEqual([left[3]!.project, left[3]!.type, left[3]!.data?.seq, left[3]!.submitter], ['tradetrail', 'retention_purge', 6, left[3]!.data?.by], 'the purge is recorded in the chain, with who ran it')
      assert.match(String(left[3]!.submitter), /^cli:.+@.+$/)
      const [verify, again] = await Promise.all([runCli(['verify', '--json'], { dataDir }), runCli(['purge', '--older-than', '5y'], { dataDir })])
      assertOk(verify)
      const report = parseJson<Record<string, unknown>>(verify)
      assert.deepEqual([report.ok, report.anchor_seq, report.first_seq, report.last_seq, report.checked], [true, 6, 7, 10, 4])
      assertOk(again)
      assert.equal(again.stdout, 'nothing old enough to purge\n')
    })

    test('purge --older-than shorter than the minimum retention is refused and changes nothing; with --below-minimum-retention it purges, warns and records the reason', async (t) => {
      const dataDir = await agedTrail(t)
      const before = snapshotTrail(dataDir)
      const refused = await runCli(['purge', '--older-than', '1y'], { dataDir })
      assert.equal(refused.code, 1, describeRun(refused))
      assert.deepEqual(errorLines(refused.stderr).length, 1, describeRun(refused))
      assert.match(errorLines(refused.stderr)[0]!, /younger than 1y is refused, because the minimum retention is 5y.*--below-minimum-retention.*\(TT_ERR_RETENTION_BELOW_MINIMUM\)$/)
      assert.deepEqual(snapshotTrail(dataDir), before, 'nothing changed, not even a record of the refusal')
      const lowered = await runCli(['purge', '--older-than', '1y'], { dataDir, env: { TRADETRAIL_RETENTION_MIN: '1y' } })
      assert.equal(lowered.code, 0, `a lower minimum in the configuration allows it: ${describeRun(lowered)}`)
      assert.match(lowered.stdout, /^purged 6 events through seq 6; anchor signed\n$/)

      const young = await agedTrail(t)
      const reason = 'Court order 2026/117: erase the test desk\'s records'
      const overridden = await runCli(['purge', '--older-than', '1ms', '--below-minimum-retention', reason, '--json'], { dataDir: young })
      assert.equal(overridden.code, 0, describeRun(overridden))
      const warning = `WARNING: retention: purging events younger than the minimum retention (5y), down to 1ms, because ${JSON.stringify(reason)}`
      assert.ok(overridden.stderr.includes(warning), `the override is logged: ${describeRun(overridden)}`)
      const out = parseJson<{ purged: number; anchor: Record<string, unknown>; below_minimum: string }>(overridden)
      assert.deepEqual([out.purged, out.below_minimum, out.anchor.below_minimum, out.anchor.min_retention_ms, out.anchor.retention_ms], [9, reason, reason, 5 * 365 * 86_400_000, 1])
      const recorded = (await storedEvents(young)).at(-1)!
      assert.deepEqual([recorded.type, recorded.data?.below_minimum, recorded.data?.signature], ['retention_purge', reason, out.anchor.signature], 'the override is recorded in the chain')
      assert.match(recorded.message, /below the minimum retention, because "Court order/)
    })

    badInputTest('purge', { what: 'an --older-than that is not a duration', args: ['purge', '--older-than', 'banana'], code: 2, says: [/--older-than/, /"banana"/, /TT_ERR_CLI_USAGE/] })
    badInputTest('purge', {
      what: 'a --below-minimum-retention reason of two lines', args: ['purge', '--older-than', '1ms', '--below-minimum-retention', 'one\ntwo'], code: 1,
      says: [/--below-minimum-retention="one\\ntwo" must be a single line/, /TT_ERR_CONFIG_INVALID/],
    })
  })
})
