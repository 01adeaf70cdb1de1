/**
 * Seed 002's dump: `GET /v1/dump` answers seed 002's object (its field names, docs/api.md),
 * the SDK's triggerAuditDumping saves it as dumped_audit_trails.json, and a real collector
 * writes the same file into its data directory on SIGUSR2 and, in a terminal, on Enter.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { triggerAuditDumping } from '@tradetrail/client'
import type { TradetrailError } from '@tradetrail/core'
import {
  CLI_BIN, closeHttp, type CollectorProcess, collectorEnv, deferredHooks, describeAnswer, errorOf, http, spawnCollector, tempDir, testEvent, waitFor,
} from '@tradetrail/test-support'

type Dump = Record<string, Array<Record<string, any>>>
const HOUR = 3_600_000
const iso = (ms: number): string => new Date(ms).toISOString()
const owner = deferredHooks()
after(async () => {
  closeHttp()
  await owner.run()
})

describe('seed 002 dump', () => {
  let collector: CollectorProcess
  let admin: string
  const now = Date.now()
  const events = [
    testEvent('MyTradingBot', { type: 'boot', message: 'Project was booted.', ts: iso(now - 2 * HOUR), data: { market: 'FOREX', description: 'Automated EURUSD trading system', privileges: ['execute_trade'] }, metadata: { host: 'h1' } }),
    testEvent('MyTradingBot', { type: 'trade_opened', message: 'Opened long EURUSD', ts: iso(now - 90 * 60_000).replace('Z', '123Z'), data: { symbol: 'EURUSD', price: 1.085, quantity: 10000 } }),
    testEvent('MyTradingBot', { type: 'trade_closed', message: 'Closed EURUSD position', ts: iso(now - HOUR), data: { symbol: 'EURUSD', timestamp: 'shadowed', profit: 250 }, source: 'broker', actor: 'alice', severity: 'notice' }),
    testEvent('OtherBot', { type: 'error', message: 'Connection timeout to broker', ts: iso(now - 29 * HOUR), data: { error_code: 'CONN_TIMEOUT' }, severity: 'error' }),
    testEvent('OtherBot', { type: 'test', message: 'Too old for 30 hours', ts: iso(now - 31 * HOUR) }),
  ]

  before(async () => {
    collector = await spawnCollector(owner)
    admin = collector.adminToken!
    const answer = await http(collector.url, '/v1/events', { method: 'POST', token: admin, body: events })
    assert.equal(answer.status, 200, describeAnswer(answer))
  })

  async function token(body: Record<string, unknown>): Promise<string> {
    const answer = await http(collector.url, '/v1/tokens', { method: 'POST', token: admin, body })
    assert.equal(answer.status, 201, describeAnswer(answer))
    return answer.json<{ token: string }>().token
  }

  async function dump(query: string, bearer: string): Promise<Dump> {
    const answer = await http(collector.url, `/v1/dump${query}`, { token: bearer })
    assert.equal(answer.status, 200, describeAnswer(answer))
    assert.match(String(answer.headers['content-type']), /^application\/json/)
    return answer.json<Dump>()
  }

  test('GET /v1/dump?hours=30 answers seed 002\'s object with seed 002\'s field names', async () => {
    const got = await dump('?hours=30', await token({ scope: 'read' }))
    assert.deepEqual(Object.keys(got), ['MyTradingBot', 'OtherBot', 'tradetrail'])
    const [boot, opened, closed] = got.MyTradingBot!
    assert.deepEqual(Object.keys(boot!), ['event_type', 'event_description', 'timestamp', 'project_name', 'project_market', 'project_description', 'project_privileges', 'tradetrail'])
    assert.deepEqual({ ...boot, tradetrail: undefined }, {
      event_type: 'boot', event_description: 'Project was booted.', timestamp: Date.parse(events[0]!.ts as string) / 1000,
      project_name: 'MyTradingBot', project_market: 'FOREX', project_description: 'Automated EURUSD trading system', project_privileges: ['execute_trade'], tradetrail: undefined,
    })
    assert.deepEqual(Object.keys(boot!.tradetrail), ['id', 'seq', 'ts', 'severity', 'metadata'])
    assert.equal(boot!.tradetrail.id, events[0]!.id)
    // The trail keeps data as canonical JSON: its keys come back sorted.
    assert.deepEqual(Object.keys(opened!), ['event_type', 'event_description', 'timestamp', 'price', 'quantity', 'symbol', 'tradetrail'])
    assert.equal(opened!.timestamp, (Date.parse(events[1]!.ts as string) * 1000 + 123) / 1e6, 'microseconds kept')
    assert.equal(opened!.tradetrail.ts, events[1]!.ts)
    // A data key named like a seed field is shadowed at the top level and kept whole under tradetrail.data.
    assert.equal(closed!.timestamp, Date.parse(events[2]!.ts as string) / 1000)
    assert.deepEqual(closed!.tradetrail, { id: events[2]!.id, seq: closed!.tradetrail.seq, ts: events[2]!.ts, severity: 'notice', source: 'broker', actor: 'alice', data: events[2]!.data })
    assert.deepEqual(got.OtherBot!.map((r) => r.event_description), ['Connection timeout to broker'], 'the 31-hour-old event is left out')
    const longer = await dump('?hours=32', admin)
    assert.deepEqual(longer.OtherBot!.map((r) => r.event_description), ['Connection timeout to broker', 'Too old for 30 hours'])
    assert.deepEqual(await dump('', admin), { ...got, tradetrail: (await dump('', admin)).tradetrail }, 'hours defaults to 30')
  })

  test('a read token limited to projects sees only theirs; an ingest token is refused', async () => {
    const limited = await token({ scope: 'read', projects: ['OtherBot'] })
    assert.deepEqual(Object.keys(await dump('?hours=30', limited)), ['OtherBot'])
    const ingest = await http(collector.url, '/v1/dump', { token: await token({ scope: 'ingest', projects: ['OtherBot'] }) })
    assert.equal(ingest.status, 403, describeAnswer(ingest))
    assert.equal(errorOf(ingest).code, 'TT_ERR_AUTH_SCOPE')
    const none = await http(collector.url, '/v1/dump')
    assert.equal(none.status, 401, describeAnswer(none))
  })

  test('bad hours, or another parameter, is TT_ERR_QUERY_INVALID naming it', async () => {
    for (const query of ['?hours=0', '?hours=-1', '?hours=1.5', '?hours=abc', '?hours=87841', '?hours=1&hours=2', '?since=1h']) {
      const answer = await http(collector.url, `/v1/dump${query}`, { token: admin })
      assert.equal(answer.status, 400, `${query}: ${describeAnswer(answer)}`)
      assert.equal(errorOf(answer).code, 'TT_ERR_QUERY_INVALID', query)
      assert.match(errorOf(answer).message, query.startsWith('?since') ? /"since"/ : /"hours"/, query)
    }
  })

  test('triggerAuditDumping saves the answer unchanged as dumped_audit_trails.json in the working directory', async (t) => {
    const dir = tempDir(t, 'tt-dump-cwd')
    const readToken = await token({ scope: 'read', projects: ['MyTradingBot'] })
    const cwd = process.cwd()
    process.chdir(dir)
    let path: string | undefined
    try {
      path = await triggerAuditDumping({ env: { TRADETRAIL_URL: collector.url, TRADETRAIL_TOKEN: readToken } })
    } finally {
      process.chdir(cwd)
    }
    assert.equal(path, join(dir, 'dumped_audit_trails.json'))
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')), await dump('?hours=30', readToken))
  })

  test('triggerAuditDumping never rejects: a refused token, a dead collector or a bad option is reported, nothing written', async (t) => {
    const dir = tempDir(t, 'tt-dump-fail')
    const cases: Array<[Parameters<typeof triggerAuditDumping>[0], string]> = [
      [{ url: collector.url, token: await token({ scope: 'ingest', projects: ['OtherBot'] }) }, 'TT_ERR_COLLECTOR_REFUSED'],
      [{ url: 'http://127.0.0.1:1', token: admin }, 'TT_ERR_COLLECTOR_UNREACHABLE'],
      [{ url: collector.url, token: admin, hours: 0 }, 'TT_ERR_CLIENT_OPTIONS'],
      [{ url: collector.url, env: {} }, 'TT_ERR_CLIENT_OPTIONS'],
      [{ url: 'ftp://x', token: admin }, 'TT_ERR_CLIENT_OPTIONS'],
      [{ url: collector.url, token: admin, dir: join(dir, 'missing') }, 'TT_ERR_DUMP_WRITE'],
    ]
    for (const [options, code] of cases) {
      const errors: TradetrailError[] = []
      assert.equal(await triggerAuditDumping({ dir, ...options, onError: (e) => errors.push(e) }), undefined)
      assert.deepEqual(errors.map((e) => e.code), [code], JSON.stringify(options))
    }
    assert.equal(existsSync(join(dir, 'dumped_audit_trails.json')), false)
  })

  test('SIGUSR2 makes the collector write dumped_audit_trails.json into its data directory', async () => {
    const path = join(collector.dataDir, 'dumped_audit_trails.json')
    assert.equal(existsSync(path), false)
    process.kill(collector.pid, 'SIGUSR2')
    const written = await waitFor(() => existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as Dump : undefined, (d) => d !== undefined,
      { describe: `${path} written after SIGUSR2`, timeoutMs: 30_000 })
    const expected = await dump('?hours=30', admin)
    assert.deepEqual({ ...written, tradetrail: undefined }, { ...expected, tradetrail: undefined })
    await waitFor(() => collector.stdout(), (s) => s.includes(`Dumped the last 30 hours to ${path}`), { describe: 'the dump announced on stdout' })
    assert.equal(collector.running(), true)
  })
})

describe('collector in a terminal', () => {
  test('Enter dumps, as seed 002\'s server did', { skip: process.platform !== 'linux' && 'needs util-linux script(1)' }, async (t) => {
    const dataDir = join(tempDir(t, 'tt-dump-tty'), 'data')
    const command = [process.execPath, CLI_BIN, '--data-dir', dataDir, 'serve', '--port', '0'].map((a) => `'${a}'`).join(' ')
    // script(1) runs the collector on a pseudo-terminal: its stdin is a TTY, fed from our pipe.
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env: collectorEnv(), stdio: ['pipe', 'pipe', 'pipe'] })
    t.after(() => { if (child.exitCode === null) child.kill('SIGKILL') })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
    await waitFor(() => out, (s) => s.includes('Press Enter'), { describe: 'the collector offering Enter to dump', timeoutMs: 90_000 })
    const path = join(dataDir, 'dumped_audit_trails.json')
    assert.equal(existsSync(path), false)
    child.stdin.write('\r')
    const written = await waitFor(() => existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) as Dump : undefined, (d) => d !== undefined,
      { describe: `${path} written after Enter`, timeoutMs: 30_000 })
    assert.deepEqual(written!.tradetrail!.map((r) => r.event_type), ['boot', 'token_created'])
  })
})
