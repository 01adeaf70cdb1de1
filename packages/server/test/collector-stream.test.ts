/**
 * The live stream (PRODUCT.md guarantee 5) against real collector processes and a plain `ws`
 * client: resume after every seq gap-free, filters equal to GET /v1/events on old and new events,
 * events logged by the CLI, a slow client told of a gap it can fetch so nothing is lost, tokens
 * refused or cut off (missing, unknown, wrong scope, other project, revoked, expired, too many
 * streams) with close codes and reasons, and seed 001's /ws/audit and /api/audit, whose
 * query-string token shows in no log line and no metric.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import WebSocket from 'ws'
import {
  type CollectorProcess, closeHttp, deferredHooks, describeAnswer, describeRun, http, runCli, spawnCollector, tempDir, testEvent, waitFor,
} from '@tradetrail/test-support'

const owner = deferredHooks()
/** At trace level, so anything the collector could log, it does. */
let c: CollectorProcess
let admin: string
let reader: string

interface Frame {
  type: string
  [key: string]: any
}

/** A stream client that keeps every frame it is sent and how the connection closed. */
class StreamReader {
  readonly ws: WebSocket
  readonly frames: Frame[] = []
  readonly texts: string[] = []
  close: { code: number; reason: string } | undefined
  readonly closed: Promise<{ code: number; reason: string }>

  constructor(url: string, protocols: string[] = [], headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, protocols, { headers })
    this.ws.on('message', (data) => {
      const text = String(data)
      this.texts.push(text)
      if (text.startsWith('{')) this.frames.push(JSON.parse(text) as Frame)
    })
    this.ws.on('error', () => {})
    this.closed = new Promise((resolve) => this.ws.on('close', (code, reason) => resolve((this.close = { code, reason: String(reason) }))))
  }

  /** seqs of the events received, in order. */
  seqs(): number[] {
    return this.frames.filter((f) => f.type === 'events').flatMap((f) => (f.events as Array<{ seq: number }>).map((e) => e.seq))
  }

  /** Waits until an event with seq ≥ `seq` (or, with `orGap`, a gap reaching it) has arrived. */
  async reach(seq: number, what: string, timeoutMs = 15_000): Promise<void> {
    await waitFor(() => ({ seqs: this.seqs(), gaps: this.gaps(), close: this.close }), (s) => {
      if (s.close !== undefined) throw new Error(`${what}: closed ${s.close.code} ${s.close.reason}`)
      return (s.seqs.at(-1) ?? 0) >= seq || s.gaps.some((g) => g.to_seq >= seq)
    }, { describe: `${what}: events through seq ${seq}`, timeoutMs, show: (s) => `seqs ${JSON.stringify(s.seqs.slice(-20))} gaps ${JSON.stringify(s.gaps)}` })
  }

  gaps(): Array<{ from_seq: number; to_seq: number; missed: number }> {
    return this.frames.filter((f) => f.type === 'gap') as never
  }
}

const wsUrl = (path: string): string => c.url.replace(/^http/, 'ws') + path
const stream = (query = '', token = reader): StreamReader => new StreamReader(wsUrl(`/v1/stream${query}`), ['tradetrail.v1', `bearer.${token}`])

async function post(events: Array<Record<string, unknown>>, base = c.url, token = admin): Promise<{ first_seq: number; last_seq: number }> {
  const answer = await http(base, '/v1/events', { token, body: events })
  assert.equal(answer.status, 200, describeAnswer(answer))
  return answer.json()
}

async function createToken(body: Record<string, unknown>, base = c.url, token = admin): Promise<{ id: string; token: string }> {
  const answer = await http(base, '/v1/tokens', { token, body })
  assert.equal(answer.status, 201, describeAnswer(answer))
  return answer.json()
}

/** Every event GET /v1/events lists for `query` after `afterSeq`, by seq. */
async function listed(query: string, afterSeq: number, base = c.url, token = reader): Promise<number[]> {
  const seqs: number[] = []
  let cursor = ''
  for (;;) {
    const answer = await http(base, `/v1/events?${query}${query === '' ? '' : '&'}after_seq=${afterSeq}&limit=1000${cursor}`, { token })
    assert.equal(answer.status, 200, describeAnswer(answer))
    const page = answer.json<{ events: Array<{ seq: number }>; next: string | null }>()
    seqs.push(...page.events.map((e) => e.seq))
    if (page.next === null) return seqs
    cursor = `&cursor=${page.next}`
  }
}

async function head(): Promise<number> {
  const answer = await http(c.url, '/v1/events?limit=1', { token: reader })
  return answer.json<{ events: Array<{ seq: number }> }>().events[0]!.seq
}

before(async () => {
  c = await spawnCollector(owner, { env: { TRADETRAIL_LOG_LEVEL: 'trace', TRADETRAIL_STREAM_MAX_PER_TOKEN: '40' } })
  admin = c.adminToken!
  reader = (await createToken({ scope: 'read', label: 'stream reader' })).token
})
after(async () => {
  closeHttp()
  await owner.run()
})

test('a stream resumes after every seq of a small trail with no gap and no duplicate, then goes on live', async () => {
  await post([testEvent('Resume', { message: 'one' }), testEvent('Resume', { message: 'two' })])
  await post([testEvent('Resume', { message: 'three' })])
  const last = await head()
  const readers: StreamReader[] = []
  for (let after = 0; after <= last; after++) readers.push(stream(`?after_seq=${after}`))
  try {
    for (let after = 0; after <= last; after++) {
      const r = readers[after]!
      if (after < last) await r.reach(last, `after_seq=${after}`)
      await waitFor(() => r.frames[0], (f) => f?.type === 'hello', { describe: 'a hello frame first' })
      assert.deepEqual(r.frames[0], { type: 'hello', protocol: 'tradetrail.v1', after_seq: after, head: last })
      assert.deepEqual(r.seqs(), Array.from({ length: last - after }, (_, i) => after + 1 + i), `after_seq=${after}`)
    }
    const { last_seq: live } = await post([testEvent('Resume', { message: 'live' })])
    for (const [after, r] of readers.entries()) {
      await r.reach(live, `after_seq=${after}, live`)
      assert.deepEqual(r.seqs(), Array.from({ length: live - after }, (_, i) => after + 1 + i), `after_seq=${after} after a live event`)
      assert.equal(r.gaps().length, 0)
    }
    // Without after_seq a stream starts at the head.
    const fresh = stream()
    await waitFor(() => fresh.frames[0], (f) => f?.type === 'hello', { describe: 'hello' })
    const { last_seq: next } = await post([testEvent('Resume', { message: 'next' })])
    await fresh.reach(next, 'from the head')
    assert.deepEqual(fresh.seqs(), [next])
    fresh.ws.close()
  } finally {
    for (const r of readers) r.ws.close()
  }
})

test('a filtered stream sends exactly what GET /v1/events lists, for stored events and new ones', async () => {
  const mixed = (tag: string): Array<Record<string, unknown>> => [
    testEvent('FilterA', { type: 'trade_opened', severity: 'info', message: `Opened long EURUSD ${tag}`, data: { symbol: 'EURUSD', qty: 2 } }),
    testEvent('FilterA', { type: 'order_rejected', severity: 'error', message: `Order rejected ${tag}: margin`, source: 'risk_engine' }),
    testEvent('FilterB', { type: 'trade_opened', severity: 'warning', message: `Opened short EURGBP ${tag}`, actor: 'bot-7' }),
    testEvent('FilterB', { type: 'self_heal', severity: 'critical', message: `Café restarted ${tag}`, data: { note: 'long warm-up' } }),
    testEvent('FilterA', { type: 'auto_repair', severity: 'debug', message: `Auto-repair: database quantum ${tag}`, source: 'auto_repair_system' }),
  ]
  const { first_seq: start } = await post(mixed('old'))
  const filters = [
    'project=FilterA', 'severity=warning', 'type=trade_opened&project=FilterB', 'source=risk_engine',
    'q=%22long%20EURUSD%22', 'q=EUR*', 'q=cafe', 'q=bot', 'q=warm%20long', 'q=EURUSD%20margin', 'q=%2A%2A%2A',
    'project=FilterA&severity=error&q=rejected', 'since=2000-01-01&until=2999-01-01&project=FilterB',
  ]
  const readers = filters.map((f) => stream(`?${f}&after_seq=${start - 1}`))
  try {
    await post(mixed('new'))
    const sentinel = await post([testEvent('FilterEnd', { message: 'the end' })])
    for (const r of readers) await waitFor(() => r.frames, (f) => f.some((x) => x.type === 'hello'), { describe: 'hello' })
    // The filtered streams know nothing of the sentinel; a stream of every event does, and all were fed in order.
    const all = stream(`?after_seq=${start - 1}`)
    await all.reach(sentinel.last_seq, 'unfiltered')
    all.ws.close()
    for (const [i, f] of filters.entries()) {
      const expected = await listed(f, start - 1)
      const r = readers[i]!
      await waitFor(() => r.seqs(), (s) => s.length >= expected.length && expected.every((e) => s.includes(e)), { describe: `stream ${f} = ${JSON.stringify(expected)}` })
      assert.deepEqual(r.seqs(), expected, `filter ${f}`)
    }
    assert.ok((await listed('q=EUR*', start - 1)).length >= 4, 'the filters select something')
  } finally {
    for (const r of readers) r.ws.close()
  }
})

test('an event logged by the CLI in another process arrives on the stream', async () => {
  const r = stream('?project=CliStream')
  try {
    await waitFor(() => r.frames[0], (f) => f?.type === 'hello', { describe: 'hello' })
    const result = await runCli(['log', 'from the command line', '--project', 'CliStream', '--json'], { dataDir: c.dataDir })
    assert.equal(result.code, 0, describeRun(result))
    await waitFor(() => r.frames.filter((f) => f.type === 'events').flatMap((f) => f.events), (e) => e.length === 1, { describe: 'the CLI event' })
    const event = r.frames.find((f) => f.type === 'events')!.events[0]
    assert.equal(event.message, 'from the command line')
    assert.match(event.submitter, /^cli:/)
    assert.match(event.hash, /^[0-9a-f]{64}$/)
  } finally {
    r.ws.close()
  }
})

test('tokens and filters that may not stream are refused with a close code and a reason', async () => {
  const ingest = (await createToken({ scope: 'ingest', projects: ['Desk'] })).token
  const desk = (await createToken({ scope: 'read', projects: ['Desk'] })).token
  const cases: Array<[string, StreamReader, number, string]> = [
    ['no token', new StreamReader(wsUrl('/v1/stream'), ['tradetrail.v1']), 4401, 'TT_ERR_AUTH_MISSING'],
    ['an unknown token', stream('', `tt_000000000000_${'x'.repeat(43)}`), 4401, 'TT_ERR_AUTH_INVALID'],
    ['not a token', stream('', 'hello'), 4401, 'TT_ERR_AUTH_INVALID'],
    ['an ingest token', stream('', ingest), 4403, 'TT_ERR_AUTH_SCOPE'],
    ['another project', stream('?project=Other', desk), 4403, 'TT_ERR_AUTH_PROJECT'],
    ['a bad severity', stream('?severity=loud'), 4400, 'TT_ERR_QUERY_INVALID: query parameter "severity"'],
    ['an unknown parameter', stream('?colour=red'), 4400, 'TT_ERR_QUERY_INVALID: query parameter "colour"'],
    ['a bad time', stream('?since=yesterday-ish'), 4400, 'TT_ERR_QUERY_INVALID: query parameter "since"'],
    ['after_seq beyond the head', stream('?after_seq=999999999'), 4400, 'TT_ERR_QUERY_INVALID: query parameter "after_seq"'],
    ['a Bearer header of an unknown token', new StreamReader(wsUrl('/v1/stream'), [], { authorization: `Bearer tt_000000000000_${'y'.repeat(43)}` }), 4401, 'TT_ERR_AUTH_INVALID'],
  ]
  for (const [what, r, code, reason] of cases) {
    const closed = await r.closed
    assert.equal(closed.code, code, `${what}: ${JSON.stringify(closed)}`)
    assert.ok(closed.reason.startsWith(reason), `${what}: reason ${JSON.stringify(closed.reason)}`)
    assert.ok(Buffer.byteLength(closed.reason) <= 123)
    const error = r.frames.find((f) => f.type === 'error')
    assert.equal(error?.error.code, reason.split(':')[0], `${what}: the error frame ${JSON.stringify(r.frames)}`)
    assert.ok(!r.frames.some((f) => f.type === 'events'), `${what}: no events`)
  }

  // A read token limited to projects streams only them.
  await post([testEvent('Desk', { message: 'mine' }), testEvent('NotDesk', { message: 'not mine' })])
  const limited = stream('?after_seq=0', desk)
  try {
    await waitFor(() => limited.seqs().length, (n) => n >= 1, { describe: 'the Desk event' })
    const { last_seq } = await post([testEvent('NotDesk', { message: 'x' }), testEvent('Desk', { message: 'mine too' })])
    await limited.reach(last_seq, 'Desk only')
    assert.deepEqual(limited.frames.filter((f) => f.type === 'events').flatMap((f) => f.events.map((e: { project: string }) => e.project)), ['Desk', 'Desk'])
  } finally {
    limited.ws.close()
  }
})

test('a live stream ends when its token is revoked (by the API or the CLI) or expires', async () => {
  const byApi = await createToken({ scope: 'read' })
  const byCli = await createToken({ scope: 'read' })
  const expiring = await createToken({ scope: 'read', expires_in: '4s' })
  const streams = [stream('', byApi.token), stream('', byCli.token), stream('', expiring.token)]
  for (const s of streams) await waitFor(() => s.frames[0], (f) => f?.type === 'hello', { describe: 'hello' })

  const revoked = await http(c.url, `/v1/tokens/${byApi.id}`, { method: 'DELETE', token: admin })
  assert.equal(revoked.status, 200, describeAnswer(revoked))
  const result = await runCli(['token', 'revoke', byCli.id], { dataDir: c.dataDir })
  assert.equal(result.code, 0, describeRun(result))
  for (const [i, s] of streams.entries()) {
    const closed = await waitFor(() => s.close, (x) => x !== undefined, { describe: `stream ${i} closed`, timeoutMs: 20_000 })
    assert.equal(closed!.code, 4401, `stream ${i}: ${JSON.stringify(closed)}`)
    assert.match(closed!.reason, i === 2 ? /^TT_ERR_AUTH_EXPIRED/ : /^TT_ERR_AUTH_INVALID: .*revoked/, `stream ${i}`)
  }
  const late = stream('', expiring.token)
  assert.equal((await late.closed).code, 4401)
})

test('a token holds at most TRADETRAIL_STREAM_MAX_PER_TOKEN streams', async () => {
  const token = (await createToken({ scope: 'read' })).token
  const open = Array.from({ length: 40 }, () => stream('', token))
  try {
    for (const s of open) await waitFor(() => s.frames[0], (f) => f?.type === 'hello', { describe: 'hello' })
    const refused = stream('', token)
    const closed = await refused.closed
    assert.equal(closed.code, 4429)
    assert.match(closed.reason, /^TT_ERR_STREAM_LIMIT/)
    open[0]!.ws.close()
    await open[0]!.closed
    const again = stream('', token)
    await waitFor(() => again.frames[0], (f) => f?.type === 'hello', { describe: 'a stream once one closed' })
    again.ws.close()
  } finally {
    for (const s of open) s.ws.close()
  }
})

test('a client that stops reading gets a gap notice and, fetching the range, loses nothing', async () => {
  const slow = await spawnCollector(owner, { env: { TRADETRAIL_STREAM_BUFFER_BYTES: '64KiB', TRADETRAIL_STREAM_HEARTBEAT: '60s' } })
  const token = (await createToken({ scope: 'read' }, slow.url, slow.adminToken!)).token
  const r = new StreamReader(slow.url.replace(/^http/, 'ws') + '/v1/stream', ['tradetrail.v1', `bearer.${token}`])
  await waitFor(() => r.frames[0], (f) => f?.type === 'hello', { describe: 'hello' })
  const start = r.frames[0]!.head as number
  r.ws.pause()
  // 24 MiB of events: more than the kernel's socket buffers and the 64 KiB the collector keeps.
  const message = 'x'.repeat(8000)
  let last = 0
  for (let batch = 0; batch < 15; batch++) {
    const events = Array.from({ length: 200 }, (_, i) => testEvent('Slow', { message: `${batch}/${i} ${message}` }))
    last = (await post(events, slow.url, slow.adminToken!)).last_seq
  }
  r.ws.resume()
  await r.reach(last, 'the slow client', 60_000)
  const gaps = r.gaps()
  assert.ok(gaps.length >= 1, 'a gap was reported')
  const received = r.seqs()
  assert.equal(new Set(received).size, received.length, 'no duplicates')
  const fetched: number[] = []
  for (const gap of gaps) {
    assert.ok(gap.missed > 0 && gap.to_seq >= gap.from_seq, JSON.stringify(gap))
    const inRange = (await listed(`before_seq=${gap.to_seq + 1}`, gap.from_seq - 1, slow.url, token))
    assert.equal(inRange.length, gap.missed, `the gap's count ${JSON.stringify(gap)}`)
    fetched.push(...inRange)
  }
  const all = [...received, ...fetched].sort((a, b) => a - b)
  assert.deepEqual(all, Array.from({ length: last - start }, (_, i) => start + 1 + i), 'every event once, streamed or fetched')
  // Frames are in seq order: each gap sits between the events before and after it.
  let seen = start
  for (const f of r.frames) {
    if (f.type === 'events') for (const e of f.events) { assert.ok(e.seq > seen); seen = e.seq }
    if (f.type === 'gap') { assert.equal(f.from_seq, seen + 1); seen = f.to_seq }
  }
  r.ws.close()
  const metrics = await http(slow.url, '/metrics', { token: slow.adminToken! })
  assert.match(metrics.text, /^tradetrail_stream_gaps_total [1-9]/m)
})

test('seed 001: /ws/audit and /api/audit send seed 000 lines, and the query token shows in no log or metric', async (t) => {
  const dir = tempDir(t, 'tt-seed001')
  const lines = [
    "[2025-12-17T21:00:03Z] Auto-repair: Created PostgreSQL database 'quantum'",
    '[2025-12-17T21:00:04Z] Auto-repair: Retrained XGBoost model to 22 features',
    '[2025-12-17T21:15:45Z] Weekly self-heal: AI Agent validation - PASSED',
  ]
  writeFileSync(join(dir, 'AUTO_REPAIR_AUDIT.log'), lines.join('\n') + '\n')
  const imported = await runCli(['import', join(dir, 'AUTO_REPAIR_AUDIT.log'), '--project', 'Seed001'], { dataDir: c.dataDir })
  assert.equal(imported.code, 0, describeRun(imported))
  await waitFor(() => listed('project=Seed001', 0), (s) => s.length === 3, { describe: 'the imported lines' })

  const audit = new StreamReader(wsUrl(`/ws/audit?token=${reader}&project=Seed001`))
  try {
    await waitFor(() => audit.texts.join(''), (t) => t.length > 0, { describe: 'the backlog' })
    assert.equal(audit.texts.join(''), lines.join('\n') + '\n', 'the backlog is the seed 000 lines')
    await post([testEvent('Seed001', { ts: '2025-12-18T06:00:00Z', message: 'Auto-repair: Triggered by threshold breach' })])
    await waitFor(() => audit.texts.join(''), (t) => t.endsWith('[2025-12-18T06:00:00Z] Auto-repair: Triggered by threshold breach\n'), { describe: 'the new line' })
  } finally {
    audit.ws.close()
  }
  const text = await http(c.url, `/api/audit?token=${reader}&project=Seed001&limit=2`)
  assert.equal(text.status, 200, describeAnswer(text))
  assert.match(String(text.headers['content-type']), /^text\/plain/)
  assert.equal(text.text, `${lines[2]}\n[2025-12-18T06:00:00Z] Auto-repair: Triggered by threshold breach\n`)

  const refused = new StreamReader(wsUrl(`/ws/audit?token=tt_000000000000_${'s'.repeat(43)}`))
  assert.equal((await refused.closed).code, 4401)
  assert.equal((await http(c.url, `/api/audit?token=tt_000000000000_${'s'.repeat(43)}`)).status, 401)

  // Every other way a URL could reach a log line or a metric, with the secret in its query string.
  const secret = /^tt_[0-9a-f]{12}_(.+)$/.exec(reader)![1]!
  await http(c.url, `/api/audit?token=${reader}&colour=red`)
  await http(c.url, `/no/such/route?token=${reader}`)
  await http(c.url, `/v1/events?token=${reader}`)
  await new StreamReader(wsUrl(`/v1/events?token=${reader}`)).closed
  const badQuery = new StreamReader(wsUrl(`/ws/audit?token=${reader}&since=never`))
  assert.equal((await badQuery.closed).code, 4400)
  // An upgrade to a route that has no stream is logged with its URL: redacted.
  await new StreamReader(wsUrl(`/api/audit?token=${reader}`)).closed
  await waitFor(() => c.stdout(), (out) => out.includes('/api/audit?token=redacted'), { describe: 'the refused upgrade logged, its token redacted' })
  const metrics = await http(c.url, '/metrics', { token: admin })
  for (const [where, text] of [['stdout', c.stdout()], ['stderr', c.stderr()], ['metrics', metrics.text]] as const) {
    assert.ok(!text.includes(secret), `the token's secret is in the collector's ${where}`)
  }
  assert.ok(!c.stdout().includes('bearer.tt_'), 'a subprotocol token in the log')
})
