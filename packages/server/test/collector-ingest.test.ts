/**
 * POST /v1/events and the read API against a real collector process: every accepted body
 * form, answers that come after the commit, idempotent ids, whole-batch rejection with the bad
 * event's index, the size limits (gzip bombs included), privilege violations stored flagged,
 * filters, paging, stats, summaries, streamed exports of ~20k events, verification and
 * signed checkpoints.
 */
import assert from 'node:assert/strict'
import { createPublicKey, verify as verifySignature } from 'node:crypto'
import { after, before, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import type { StoredEvent } from '@tradetrail/core'
import {
  type CollectorProcess, closeHttp, deferredHooks, describeAnswer, errorOf, http, producerCounts, spawnCollector, testEvent,
} from '@tradetrail/test-support'
import { checkpointPayload } from '../src/checkpoint-signer.ts'
import type { IngestAnswer } from '../src/collector/ingest.ts'

/** Default limits: most tests. */
let main: CollectorProcess
/** TRADETRAIL_MAX_BODY_BYTES=4096 and TRADETRAIL_MAX_BATCH_EVENTS=5: the limit tests. */
let small: CollectorProcess
let admin: string
let read: string
/** Ingest tokens for project Desk: one without privileges, one granted execute_trade. */
let deskNoTrade: string
let deskTrader: string

async function createToken(c: CollectorProcess, body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const answer = await http(c.url, '/v1/tokens', { token: c.adminToken!, body })
  assert.equal(answer.status, 201, `POST /v1/tokens ${JSON.stringify(body)}: ${describeAnswer(answer)}`)
  return answer.json()
}

const owner = deferredHooks()
before(async () => {
  ;[main, small] = await Promise.all([
    spawnCollector(owner),
    spawnCollector(owner, { env: { TRADETRAIL_MAX_BODY_BYTES: '4096', TRADETRAIL_MAX_BATCH_EVENTS: '5' } }),
  ])
  assert.ok(main.adminToken && small.adminToken, 'a first start prints an admin token')
  admin = main.adminToken
  ;[read, deskNoTrade, deskTrader] = await Promise.all([
    createToken(main, { scope: 'read' }).then((t) => t.token),
    createToken(main, { scope: 'ingest', projects: ['Desk'] }).then((t) => t.token),
    createToken(main, { scope: 'ingest', projects: ['Desk'], privileges: ['execute_trade'] }).then((t) => t.token),
  ])
})
after(async () => {
  closeHttp()
  await owner.run()
})

/** Posts and expects 200; returns the answer. */
async function ingest(c: CollectorProcess, token: string, body: unknown, headers: Record<string, string> = {}): Promise<IngestAnswer> {
  const answer = await http(c.url, '/v1/events', { token, body, headers })
  assert.equal(answer.status, 200, `POST /v1/events: expected 200, saw ${describeAnswer(answer)}`)
  return answer.json()
}

async function getEvent(id: string): Promise<StoredEvent | undefined> {
  const answer = await http(main.url, `/v1/events/${id}`, { token: read })
  if (answer.status === 404) {
    assert.equal(errorOf(answer).code, 'TT_ERR_EVENT_NOT_FOUND')
    return undefined
  }
  assert.equal(answer.status, 200, `GET /v1/events/${id}: ${describeAnswer(answer)}`)
  return answer.json()
}

async function listEvents(query: string, token = read): Promise<{ events: StoredEvent[]; next: string | null }> {
  const answer = await http(main.url, `/v1/events?${query}`, { token })
  assert.equal(answer.status, 200, `GET /v1/events?${query}: ${describeAnswer(answer)}`)
  return answer.json()
}

/** Asserts that an ingest answer covers `n` new events with consecutive seqs. */
function assertAccepted(answer: IngestAnswer, n: number): void {
  assert.equal(answer.accepted, n, `accepted: ${JSON.stringify(answer)}`)
  assert.equal(answer.duplicates, 0, `duplicates: ${JSON.stringify(answer)}`)
  assert.ok(typeof answer.first_seq === 'number' && answer.first_seq > 0, `first_seq: ${JSON.stringify(answer)}`)
  assert.equal(answer.last_seq! - answer.first_seq! + 1, n, `last_seq - first_seq + 1 = accepted: ${JSON.stringify(answer)}`)
}

/** Every event must be readable at once (the answer came after the commit) with a seq in the answer's range. */
async function assertStored(events: ReadonlyArray<{ id: string }>, answer: IngestAnswer): Promise<void> {
  const seqs = new Set<number>()
  for (const sent of events) {
    const stored = await getEvent(sent.id)
    assert.ok(stored, `event ${sent.id} acknowledged but GET /v1/events/:id finds nothing`)
    assert.ok(stored.seq >= answer.first_seq! && stored.seq <= answer.last_seq!, `seq ${stored.seq} outside ${answer.first_seq}..${answer.last_seq}`)
    seqs.add(stored.seq)
  }
  assert.equal(seqs.size, events.length, 'each event its own seq')
}

test('a JSON array is answered after the commit with accepted, duplicates, first_seq and last_seq', async () => {
  const events = [
    testEvent('Ingest', { type: 'order_submitted', message: 'Submitted buy 1 EURUSD', data: { symbol: 'EURUSD', quantity: 1 } }),
    testEvent('Ingest', { type: 'order_filled', severity: 'notice', message: 'Filled 1 EURUSD at 1.0851', source: 'OrderRouter', actor: 'bot-7' }),
    testEvent('Ingest', { ts: '2025-12-17T21:00:03.123456789Z', message: 'nanoseconds kept', metadata: { pid: 42 } }),
  ]
  const answer = await ingest(main, admin, events)
  assertAccepted(answer, 3)
  await assertStored(events, answer)
  const stored = (await getEvent(events[1]!.id))!
  assert.deepEqual(
    { type: stored.type, severity: stored.severity, message: stored.message, source: stored.source, actor: stored.actor, project: stored.project },
    { type: 'order_filled', severity: 'notice', message: 'Filled 1 EURUSD at 1.0851', source: 'OrderRouter', actor: 'bot-7', project: 'Ingest' },
  )
  assert.equal((await getEvent(events[2]!.id))!.ts, '2025-12-17T21:00:03.123456789Z')
  assert.deepEqual((await getEvent(events[0]!.id))!.data, { symbol: 'EURUSD', quantity: 1 })
  assert.match(stored.hash, /^[0-9a-f]{64}$/)
})

test('one JSON object, NDJSON and gzip bodies (JSON and NDJSON) are accepted', async () => {
  const one = testEvent('Ingest', { message: 'a single object' })
  const single = await ingest(main, admin, one)
  assertAccepted(single, 1)
  await assertStored([one], single)

  const lines = [testEvent('Ingest', { message: 'line one' }), testEvent('Ingest', { message: 'line two' }), testEvent('Ingest', { message: 'line three' })]
  const ndjson = lines.map((e) => JSON.stringify(e)).join('\n') + '\n\n'
  const nd = await ingest(main, admin, ndjson, { 'content-type': 'application/x-ndjson' })
  assertAccepted(nd, 3)
  await assertStored(lines, nd)

  const zipped = [testEvent('Ingest', { message: 'gzip JSON 1' }), testEvent('Ingest', { message: 'gzip JSON 2' })]
  const gz = await ingest(main, admin, gzipSync(JSON.stringify(zipped)), { 'content-type': 'application/json', 'content-encoding': 'gzip' })
  assertAccepted(gz, 2)
  await assertStored(zipped, gz)

  const zippedLines = [testEvent('Ingest', { message: 'gzip NDJSON 1' }), testEvent('Ingest', { message: 'gzip NDJSON 2' })]
  const gzNd = await ingest(main, admin, gzipSync(zippedLines.map((e) => JSON.stringify(e)).join('\n')), { 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' })
  assertAccepted(gzNd, 2)
  await assertStored(zippedLines, gzNd)
})

test('the same ids sent again are counted as duplicates and stored once', async () => {
  const events = Array.from({ length: 4 }, (_, i) => testEvent('Dupes', { message: `dupe ${i}` }))
  const first = await ingest(main, admin, events)
  assertAccepted(first, 4)
  const again = await ingest(main, admin, events)
  const { clock: _clock, ...counts } = again
  assert.deepEqual(counts, { accepted: 0, duplicates: 4, first_seq: null, last_seq: null })
  const fresh = testEvent('Dupes', { message: 'new one' })
  const mixed = await ingest(main, admin, [events[0], fresh, events[3]])
  assert.deepEqual({ accepted: mixed.accepted, duplicates: mixed.duplicates }, { accepted: 1, duplicates: 2 })
  assert.equal(mixed.first_seq, mixed.last_seq)
  const within = testEvent('Dupes', { message: 'twice in one batch' })
  const inBatch = await ingest(main, admin, [within, within])
  assert.deepEqual({ accepted: inBatch.accepted, duplicates: inBatch.duplicates }, { accepted: 1, duplicates: 1 })
  const { events: stored } = await listEvents('project=Dupes&limit=100')
  assert.equal(stored.length, 6, `stored ${stored.map((e) => e.message).join(' | ')}`)
  assert.equal(new Set(stored.map((e) => e.id)).size, 6)
})

test('a batch with one invalid event is rejected whole, naming the index of the bad event', async () => {
  const before = await producerCounts(main.url, read)
  const good = [testEvent('Rejected'), testEvent('Rejected'), testEvent('Rejected')]
  const batch = [good[0], good[1], { project: 'Rejected', message: 5 }, good[2]]
  const answer = await http(main.url, '/v1/events', { token: admin, body: batch })
  assert.equal(answer.status, 400, describeAnswer(answer))
  const error = errorOf(answer)
  assert.equal(error.code, 'TT_ERR_EVENT_INVALID')
  assert.deepEqual(error.problems?.map((p) => [p.index, p.path, p.code]), [[2, '/message', 'TT_ERR_EVENT_WRONG_TYPE']])
  assert.match(error.message, /event 2/)
  for (const e of good) assert.equal(await getEvent(e.id), undefined, `event ${e.id} of a rejected batch was stored`)
  assert.deepEqual(await producerCounts(main.url, read), before, 'a rejected batch stores nothing')

  // Several bad events: every index is reported.
  const many = await http(main.url, '/v1/events', { token: admin, body: [{ project: 'Rejected' }, testEvent('Rejected'), testEvent('Rejected', { severity: 'fatal', seq: 3 })] })
  assert.equal(many.status, 400, describeAnswer(many))
  assert.deepEqual(errorOf(many).problems?.map((p) => [p.index, p.code]).sort(), [
    [0, 'TT_ERR_EVENT_MISSING_FIELD'], [2, 'TT_ERR_EVENT_BAD_VALUE'], [2, 'TT_ERR_EVENT_SERVER_FIELD'],
  ])
  assert.deepEqual(await producerCounts(main.url, read), before, 'a rejected batch stores nothing')
})

test('bodies over the limits, gzip bombs, corrupt gzip and wrong content types are refused and store nothing', async () => {
  const token = small.adminToken!
  const before = await producerCounts(small.url, token)
  const post = (body: string | Buffer, headers: Record<string, string>) => http(small.url, '/v1/events', { token, body, headers })
  const json = { 'content-type': 'application/json' }

  const padded = JSON.stringify([testEvent('Limits', { message: 'x'.repeat(5000) })])
  const tooBig = await post(padded, json)
  assert.equal(tooBig.status, 413, describeAnswer(tooBig))
  assert.equal(errorOf(tooBig).code, 'TT_ERR_BODY_TOO_LARGE')
  assert.match(errorOf(tooBig).message, /4096/)

  // 10 MB of JSON whitespace in ~10 kB of gzip: the limit applies after decompression.
  const bomb = gzipSync(Buffer.concat([Buffer.from('['), Buffer.alloc(10_000_000, ' '), Buffer.from(JSON.stringify(testEvent('Limits')) + ']')]))
  assert.ok(bomb.length < 4096 * 4, `the bomb is small compressed (${bomb.length} bytes)`)
  const bombed = await post(bomb, { ...json, 'content-encoding': 'gzip' })
  assert.equal(bombed.status, 413, describeAnswer(bombed))
  assert.equal(errorOf(bombed).code, 'TT_ERR_BODY_TOO_LARGE')

  const corrupt = gzipSync(JSON.stringify([testEvent('Limits')]))
  corrupt.fill(0x55, 12, 30)
  for (const body of [Buffer.from('definitely not gzip'), corrupt, gzipSync('[]').subarray(0, 8)]) {
    const answer = await post(body, { ...json, 'content-encoding': 'gzip' })
    assert.equal(answer.status, 400, describeAnswer(answer))
    assert.equal(errorOf(answer).code, 'TT_ERR_BODY_INVALID')
  }

  const six = Array.from({ length: 6 }, () => testEvent('Limits'))
  const tooMany = await http(small.url, '/v1/events', { token, body: six })
  assert.equal(tooMany.status, 413, describeAnswer(tooMany))
  assert.equal(errorOf(tooMany).code, 'TT_ERR_BATCH_TOO_LARGE')
  assert.match(errorOf(tooMany).message, /6 events; the limit is 5/)
  const five = await http(small.url, '/v1/events', { token, body: six.slice(0, 5) })
  assert.equal(five.status, 200, `exactly the limit is accepted: ${describeAnswer(five)}`)

  const valid = JSON.stringify([testEvent('Limits')])
  for (const type of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
    const answer = await post(valid, { 'content-type': type })
    assert.equal(answer.status, 415, `${type}: ${describeAnswer(answer)}`)
    assert.equal(errorOf(answer).code, 'TT_ERR_UNSUPPORTED_MEDIA')
  }
  const noType = await post(valid, {})
  assert.equal(noType.status, 415, `no content type: ${describeAnswer(noType)}`)
  const encoding = await post(valid, { ...json, 'content-encoding': 'br' })
  assert.equal(encoding.status, 415, describeAnswer(encoding))
  assert.equal(errorOf(encoding).code, 'TT_ERR_UNSUPPORTED_ENCODING')

  assert.deepEqual(await producerCounts(small.url, token), { ...before, Limits: (before.Limits ?? 0) + 5 }, 'only the batch within the limits was stored')
  assert.equal((await http(small.url, '/healthz')).status, 200)
})

test('bytes that are not UTF-8, and a charset that is not UTF-8, are refused with the offset and store nothing', async () => {
  const token = main.adminToken!
  const before = await producerCounts(main.url, token)
  const event = Buffer.from(JSON.stringify([testEvent('Bytes', { message: 'price XX EUR' })]))
  const at = event.indexOf('XX')
  event[at] = 0xff
  event[at + 1] = 0xfe
  for (const type of ['application/json', 'application/x-ndjson']) {
    const body = type === 'application/json' ? event : Buffer.from(event.toString('latin1').slice(1, -1), 'latin1')
    const answer = await http(main.url, '/v1/events', { token, body, headers: { 'content-type': type } })
    assert.equal(answer.status, 400, `${type}: ${describeAnswer(answer)}`)
    assert.equal(errorOf(answer).code, 'TT_ERR_BODY_BAD_UNICODE')
    assert.match(errorOf(answer).message, new RegExp(`at byte ${type === 'application/json' ? at : at - 1}\\b`))
  }
  // A UTF-8 sequence cut short, and an overlong encoding of '/'.
  for (const bad of [Buffer.from([0xe2, 0x82]), Buffer.from([0xc0, 0xaf])]) {
    const body = Buffer.concat([Buffer.from('[{"project":"Bytes","message":"'), bad, Buffer.from('"}]')])
    const answer = await http(main.url, '/v1/events', { token, body, headers: { 'content-type': 'application/json' } })
    assert.equal(errorOf(answer).code, 'TT_ERR_BODY_BAD_UNICODE', describeAnswer(answer))
  }
  const latin1 = await http(main.url, '/v1/events', { token, body: JSON.stringify([testEvent('Bytes')]), headers: { 'content-type': 'application/json; charset=latin1' } })
  assert.equal(latin1.status, 415, describeAnswer(latin1))
  assert.equal(errorOf(latin1).code, 'TT_ERR_BODY_CHARSET')
  const utf8 = await http(main.url, '/v1/events', { token, body: JSON.stringify([testEvent('Bytes', { message: 'Ünïcödé 🚀' })]), headers: { 'content-type': 'application/json; charset=UTF-8' } })
  assert.equal(utf8.status, 200, `charset=UTF-8 is fine: ${describeAnswer(utf8)}`)
  assert.deepEqual(await producerCounts(main.url, token), { ...before, Bytes: (before.Bytes ?? 0) + 1 }, 'only the UTF-8 batch was stored')
})

test('project tradetrail is the collector\'s own: no token may write it, not even an admin token, nor be bound to it', async () => {
  const token = main.adminToken!
  const forged = await http(main.url, '/v1/events', { token, body: [{ project: 'tradetrail', type: 'verification_run', message: 'Verification passed' }] })
  assert.equal(forged.status, 403, describeAnswer(forged))
  assert.equal(errorOf(forged).code, 'TT_ERR_AUTH_RESERVED_PROJECT')
  assert.equal(errorOf(forged).problems?.[0]?.index, 0)
  const bound = await http(main.url, '/v1/tokens', { token, body: { scope: 'ingest', projects: ['tradetrail'] } })
  assert.equal(bound.status, 403, describeAnswer(bound))
  assert.equal(errorOf(bound).code, 'TT_ERR_AUTH_RESERVED_PROJECT')
  const wildcard = (await http(main.url, '/v1/tokens', { token, body: { scope: 'ingest', projects: ['*'] } })).json<{ token: string }>().token
  const viaWildcard = await http(main.url, '/v1/events', { token: wildcard, body: [{ project: 'tradetrail', message: 'boot' }] })
  assert.equal(errorOf(viaWildcard).code, 'TT_ERR_AUTH_RESERVED_PROJECT', describeAnswer(viaWildcard))
})

test('a trade event from a token without execute_trade is stored, flagged privilege_violation and counted', async () => {
  const metricBefore = await privilegeMetric('Desk')
  const trade = testEvent('Desk', { type: 'trade_opened', message: 'Opened long EURUSD' })
  const order = testEvent('Desk', { type: 'order_submitted', message: 'Submitted sell 2 GBPUSD' })
  const harmless = testEvent('Desk', { type: 'config_change', message: 'Raised max position' })
  const answer = await ingest(main, deskNoTrade, [trade, order, harmless])
  assertAccepted(answer, 3)
  assert.deepEqual((await getEvent(trade.id))!.flags, ['privilege_violation'])
  assert.deepEqual((await getEvent(order.id))!.flags, ['privilege_violation'])
  assert.equal((await getEvent(harmless.id))!.flags, undefined, 'a non-trading event is not flagged')

  const granted = testEvent('Desk', { type: 'trade_closed', message: 'Closed EURUSD' })
  assertAccepted(await ingest(main, deskTrader, [granted]), 1)
  assert.equal((await getEvent(granted.id))!.flags, undefined, 'a token granted execute_trade is not flagged')

  assert.equal(await privilegeMetric('Desk'), metricBefore + 2, 'tradetrail_privilege_violations_total{project="Desk"} counts both')
})

async function privilegeMetric(project: string): Promise<number> {
  const answer = await http(main.url, '/metrics', { token: read })
  assert.equal(answer.status, 200, describeAnswer(answer))
  const line = answer.text.split('\n').find((l) => l.startsWith(`tradetrail_privilege_violations_total{project="${project}"} `))
  return line === undefined ? 0 : Number(line.split(' ').pop())
}

test('GET /v1/events filters by project, type, severity, source, since, until, q, after_seq and limit', async () => {
  const events = [
    testEvent('Filters', { ts: '2025-12-17T09:00:00Z', type: 'trade_opened', message: 'Opened long EURUSD', source: 'OrderRouter' }),
    testEvent('Filters', { ts: '2025-12-17T10:00:00Z', type: 'order_rejected', severity: 'error', message: 'Order rejected: insufficient margin', source: 'OrderRouter' }),
    testEvent('Filters', { ts: '2025-12-17T11:00:00Z', type: 'risk_limit_breach', severity: 'critical', message: 'Daily loss limit breached', source: 'RiskEngine' }),
    testEvent('Filters', { ts: '2025-12-17T12:00:00Z', type: 'config_change', severity: 'notice', message: 'Raised max position to 5 lots' }),
    testEvent('Filters', { ts: '2025-12-18T08:00:00Z', type: 'order_rejected', severity: 'warning', message: 'Order rejected: market closed', source: 'OrderRouter' }),
  ]
  const answer = await ingest(main, admin, events)
  assertAccepted(answer, events.length)
  const ids = async (query: string): Promise<string[]> => (await listEvents(`project=Filters&${query}`)).events.map((e) => e.id).sort()
  const pick = (...indexes: number[]): string[] => indexes.map((i) => events[i]!.id).sort()

  assert.deepEqual(await ids('limit=1000'), pick(0, 1, 2, 3, 4))
  assert.deepEqual(await ids('type=order_rejected'), pick(1, 4))
  assert.deepEqual(await ids('severity=error'), pick(1, 2), 'severity is a minimum')
  assert.deepEqual(await ids('severity=warning'), pick(1, 2, 4))
  assert.deepEqual(await ids('source=OrderRouter'), pick(0, 1, 4))
  assert.deepEqual(await ids('since=2025-12-17T10:00:00Z&until=2025-12-17T12:00:00Z'), pick(1, 2), 'since inclusive, until exclusive')
  assert.deepEqual(await ids('since=2025-12-18'), pick(4))
  assert.deepEqual(await ids('q=margin'), pick(1))
  assert.deepEqual(await ids('q=order%20rejected'), pick(1, 4))
  assert.deepEqual(await ids(`after_seq=${answer.first_seq! + 2}`), pick(3, 4))
  assert.deepEqual(await ids('type=order_rejected&severity=error&source=OrderRouter'), pick(1))

  const newest = await listEvents('project=Filters&limit=2')
  assert.deepEqual(newest.events.map((e) => e.id), [events[4]!.id, events[3]!.id], 'newest first by default')
  assert.equal(typeof newest.next, 'string')
  const oldest = await listEvents(`project=Filters&after_seq=0&limit=2`)
  assert.deepEqual(oldest.events.map((e) => e.id), [events[0]!.id, events[1]!.id], 'after_seq lists oldest first')
})

test('paging with the next cursor walks every event exactly once, newest first and oldest first', async () => {
  const events = Array.from({ length: 250 }, (_, i) => testEvent('Paging', { message: `page event ${i}` }))
  for (let i = 0; i < events.length; i += 50) assertAccepted(await ingest(main, admin, events.slice(i, i + 50)), 50)
  const sent = new Set(events.map((e) => e.id))

  for (const start of ['project=Paging&limit=37', 'project=Paging&limit=37&after_seq=0', 'project=Paging&limit=50']) {
    const seen: StoredEvent[] = []
    let query = start
    for (let pages = 0; ; pages++) {
      assert.ok(pages < 20, `paging ${start} does not end`)
      const page = await listEvents(query)
      seen.push(...page.events)
      if (page.next === null) break
      query = `project=Paging&limit=${start.includes('limit=50') ? 50 : 37}&cursor=${page.next}`
    }
    const seqs = seen.map((e) => e.seq)
    const ascending = start.includes('after_seq')
    for (let i = 1; i < seqs.length; i++) {
      assert.ok(ascending ? seqs[i]! > seqs[i - 1]! : seqs[i]! < seqs[i - 1]!, `${start}: seq ${seqs[i]} after ${seqs[i - 1]}`)
    }
    assert.equal(seen.length, events.length, `${start}: saw ${seen.length} events`)
    assert.deepEqual(new Set(seen.map((e) => e.id)), sent, `${start}: every event once`)
    const sorted = [...seqs].sort((a, b) => a - b)
    assert.equal(sorted[sorted.length - 1]! - sorted[0]! + 1, events.length, `${start}: no gap (batches of one project got consecutive seqs)`)
  }
})

test('/v1/stats and /v1/summary count what was ingested', async () => {
  const events = [
    testEvent('Summary', { ts: '2025-11-03T10:00:00Z', type: 'trade_opened', message: 'Opened' }),
    testEvent('Summary', { ts: '2025-11-03T11:00:00Z', type: 'order_rejected', severity: 'error', message: 'Rejected: margin' }),
    testEvent('Summary', { ts: '2025-11-03T12:00:00Z', type: 'trade_opened', message: 'Opened again' }),
    testEvent('Summary', { ts: '2025-11-05T12:00:00Z', type: 'kill_switch', severity: 'critical', message: 'Kill switch' }),
    testEvent('Summary', { message: 'stamped now' }),
  ]
  assertAccepted(await ingest(main, admin, events), events.length)

  const stats = await http(main.url, '/v1/stats?project=Summary', { token: read })
  assert.equal(stats.status, 200, describeAnswer(stats))
  assert.deepEqual(stats.json(), {
    total: 5, by_project: { Summary: 5 },
    by_type: { trade_opened: 2, order_rejected: 1, kill_switch: 1, test: 1 },
    by_severity: { info: 3, error: 1, critical: 1 },
  })
  const ranged = await http(main.url, '/v1/stats?project=Summary&since=2025-11-03&until=2025-11-04', { token: read })
  assert.equal(ranged.json<{ total: number }>().total, 3, describeAnswer(ranged))

  const day = await http(main.url, '/v1/summary?period=day&date=2025-11-03', { token: read })
  assert.equal(day.status, 200, describeAnswer(day))
  const summary = day.json<{ period: string; label: string; stats: { by_project: Record<string, number> }; problems: StoredEvent[]; text: string }>()
  assert.equal(summary.period, 'day')
  assert.equal(summary.label, '2025-11-03')
  assert.equal(summary.stats.by_project.Summary, 3)
  assert.deepEqual(summary.problems.filter((e) => e.project === 'Summary').map((e) => e.id), [events[1]!.id])
  assert.match(summary.text, /Rejected: margin/)

  const week = await http(main.url, '/v1/summary?period=week&date=2025-11-03', { token: read })
  assert.equal(week.json<{ stats: { by_project: Record<string, number> } }>().stats.by_project.Summary, 4, describeAnswer(week))
  const today = await http(main.url, '/v1/summary?period=day', { token: read })
  assert.equal(today.status, 200, describeAnswer(today))
  assert.ok((today.json<{ stats: { by_project: Record<string, number> } }>().stats.by_project.Summary ?? 0) >= 1, `today counts the event stamped now: ${describeAnswer(today)}`)

  for (const bad of ['period=year', 'period=day&date=2025-13-01', 'period=day&extra=1']) {
    const answer = await http(main.url, `/v1/summary?${bad}`, { token: read })
    assert.equal(answer.status, 400, `${bad}: ${describeAnswer(answer)}`)
    assert.equal(errorOf(answer).code, 'TT_ERR_QUERY_INVALID')
  }
})

/** RFC 4180 rows (quoted cells with "" and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"'
        i++
      } else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(cell)
      cell = ''
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(cell)
      rows.push(row)
      row = []
      cell = ''
      i++
    } else cell += ch
  }
  assert.ok(!quoted && cell === '' && row.length === 0, 'the CSV ends with a complete row')
  return rows
}

test('/v1/export streams ~20k events as JSONL and CSV, exactly what was ingested', async () => {
  const N = 20_000
  const sent = new Map<string, Record<string, unknown>>()
  const batches: Array<Array<Record<string, unknown> & { id: string }>> = []
  for (let b = 0; b < N / 1000; b++) {
    const batch = Array.from({ length: 1000 }, (_, i) => {
      const n = b * 1000 + i
      const tricky = n % 97 === 0
      return testEvent('Export', {
        type: n % 2 === 0 ? 'order_filled' : 'trade_opened',
        message: tricky ? `Closed "the, big one"\nat a loss #${n}` : `export event ${n}`,
        data: { n, symbol: 'EURUSD', note: tricky ? 'a,b "c"' : 'plain' },
      })
    })
    for (const e of batch) sent.set(e.id, e)
    batches.push(batch)
  }
  // Four producers at once: the collector groups their commits.
  for (let i = 0; i < batches.length; i += 4) {
    const answers = await Promise.all(batches.slice(i, i + 4).map((batch) => ingest(main, admin, batch)))
    for (const a of answers) assertAccepted(a, 1000)
  }

  const jsonl = await http(main.url, '/v1/export?format=jsonl&project=Export', { token: read, timeoutMs: 120_000 })
  assert.equal(jsonl.status, 200, describeAnswer(jsonl))
  assert.match(String(jsonl.headers['content-type']), /^application\/x-ndjson/)
  assert.equal(jsonl.headers['content-length'], undefined, 'streamed, not buffered: no Content-Length')
  const lines = jsonl.text.split('\n')
  assert.equal(lines.pop(), '', 'JSONL ends with a newline')
  const exported = lines.map((l) => JSON.parse(l) as StoredEvent)
  assert.equal(exported.length, N)
  const seen = new Set<string>()
  for (let i = 0; i < exported.length; i++) {
    const e = exported[i]!
    if (i > 0) assert.ok(e.seq > exported[i - 1]!.seq, `seq order at line ${i + 1}`)
    assert.ok(!seen.has(e.id), `id ${e.id} exported twice`)
    seen.add(e.id)
    const original = sent.get(e.id)
    assert.ok(original, `exported ${e.id} was never sent`)
    assert.deepEqual({ project: e.project, type: e.type, message: e.message, data: e.data }, { project: original.project, type: original.type, message: original.message, data: original.data })
  }

  const csv = await http(main.url, '/v1/export?format=csv&project=Export', { token: read, timeoutMs: 120_000 })
  assert.equal(csv.status, 200, describeAnswer(csv))
  assert.match(String(csv.headers['content-type']), /^text\/csv/)
  const rows = parseCsv(csv.text)
  const header = rows.shift()!
  assert.deepEqual(header, ['seq', 'id', 'ts', 'received_at', 'project', 'type', 'severity', 'message', 'source', 'actor', 'data', 'metadata', 'flags', 'hash'])
  assert.equal(rows.length, N)
  for (let i = 0; i < rows.length; i++) {
    const cells = Object.fromEntries(header.map((h, k) => [h, rows[i]![k]]))
    const e = exported[i]!
    assert.deepEqual(
      [cells.seq, cells.id, cells.message, cells.hash, JSON.parse(cells.data!)],
      [String(e.seq), e.id, e.message, e.hash, e.data],
      `CSV row ${i + 1} matches JSONL line ${i + 1}`,
    )
  }

  const filtered = await http(main.url, '/v1/export?format=jsonl&project=Export&q=loss', { token: read })
  assert.equal(filtered.text.trim().split('\n').length, [...sent.values()].filter((e) => String(e.message).includes('loss')).length, 'export takes the filters')
})

test('/v1/verify passes and /v1/checkpoints are signed by the published key', async () => {
  const answer = await http(main.url, '/v1/verify', { token: read })
  assert.equal(answer.status, 200, describeAnswer(answer))
  const report = answer.json<{ ok: boolean; checked: number; last_seq: number; problem: unknown; checkpoints: { verified: number }; key_id: string; public_key: string }>()
  assert.equal(report.ok, true, describeAnswer(answer))
  assert.equal(report.problem, null)
  assert.ok(report.checked >= 20_000, `checked ${report.checked} events`)
  assert.ok(report.checkpoints.verified >= 1, `after 20k events (a checkpoint every 10k) at least one is verified: ${JSON.stringify(report.checkpoints)}`)

  const listed = await http(main.url, '/v1/checkpoints', { token: read })
  assert.equal(listed.status, 200, describeAnswer(listed))
  const cp = listed.json<{ algorithm: string; key_id: string; public_key: string; checkpoints: Array<{ seq: number; hash: string; time: string; key_id: string; signature: string }> }>()
  assert.equal(cp.algorithm, 'ed25519')
  assert.equal(cp.key_id, report.key_id)
  assert.equal(cp.public_key, report.public_key)
  assert.ok(cp.checkpoints.length >= 1)
  const key = createPublicKey(cp.public_key)
  for (const c of cp.checkpoints) {
    assert.ok(verifySignature(null, checkpointPayload(c), key, Buffer.from(c.signature, 'base64')), `checkpoint at seq ${c.seq} verifies`)
    const event = await listEvents(`after_seq=${c.seq - 1}&limit=1`)
    assert.equal(event.events[0]?.hash, c.hash, `checkpoint ${c.seq} holds the chain hash of event ${c.seq}`)
  }
  const bad = await http(main.url, '/v1/verify?deep=1', { token: read })
  assert.equal(bad.status, 400, describeAnswer(bad))
})
