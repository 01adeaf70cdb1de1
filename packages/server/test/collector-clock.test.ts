/**
 * Clock watch against real collector processes: every ingest answer carries the collector's
 * time at arrival and at answer (t1/t2 of the client's NTP-style exchange); the offset a client
 * reports back in Tradetrail-Clock-Offset-Us/-Rtt-Us lands in a per-project gauge, and above
 * TRADETRAIL_CLOCK_SKEW_MS flags every event of its batch `clock_skew` (beside
 * `privilege_violation`), counted, chained and still verifying. Malformed headers store nothing.
 */
import assert from 'node:assert/strict'
import type { OutgoingHttpHeaders } from 'node:http'
import { after, before, test } from 'node:test'
import type { StoredEvent } from '@tradetrail/core'
import {
  type CollectorProcess, closeHttp, deferredHooks, describeAnswer, errorOf, http, spawnCollector, testEvent,
} from '@tradetrail/test-support'
import type { IngestAnswer } from '../src/collector/ingest.ts'

/** The default threshold, 50 ms. */
let main: CollectorProcess
/** TRADETRAIL_CLOCK_SKEW_MS=500. */
let wide: CollectorProcess
/** TRADETRAIL_CLOCK_SKEW_MS=0: never flags. */
let off: CollectorProcess
/** On main: ingest for Clocky and Other, without execute_trade. */
let bot: string

const owner = deferredHooks()
before(async () => {
  ;[main, wide, off] = await Promise.all([
    spawnCollector(owner),
    spawnCollector(owner, { env: { TRADETRAIL_CLOCK_SKEW_MS: '500' } }),
    spawnCollector(owner, { env: { TRADETRAIL_CLOCK_SKEW_MS: '0' } }),
  ])
  const made = await http(main.url, '/v1/tokens', { token: main.adminToken!, body: { scope: 'ingest', projects: ['Clocky', 'Other'] } })
  assert.equal(made.status, 201, describeAnswer(made))
  bot = made.json<{ token: string }>().token
})
after(async () => {
  closeHttp()
  await owner.run()
})

/** The two clock headers of a report; µs. */
const report = (offsetUs: number, rttUs = 900): OutgoingHttpHeaders =>
  ({ 'Tradetrail-Clock-Offset-Us': String(offsetUs), 'Tradetrail-Clock-Rtt-Us': String(rttUs) })

async function ingest(c: CollectorProcess, events: unknown[], headers: OutgoingHttpHeaders = {}, token = c.adminToken!): Promise<IngestAnswer> {
  const answer = await http(c.url, '/v1/events', { token, body: events, headers })
  assert.equal(answer.status, 200, `POST /v1/events: expected 200, saw ${describeAnswer(answer)}`)
  return answer.json()
}

/** Flags of each stored event, in the order given (undefined: not stored). */
async function flagsOf(c: CollectorProcess, events: Array<{ id: string }>): Promise<Array<string[] | 'none' | undefined>> {
  return Promise.all(events.map(async ({ id }) => {
    const answer = await http(c.url, `/v1/events/${id}`, { token: c.adminToken! })
    if (answer.status === 404) return undefined
    assert.equal(answer.status, 200, describeAnswer(answer))
    return answer.json<StoredEvent>().flags ?? 'none'
  }))
}

/** One series of /metrics by its project label (undefined: not exposed). */
async function metric(c: CollectorProcess, name: string, labels: string): Promise<number | undefined> {
  const answer = await http(c.url, '/metrics', { token: c.adminToken! })
  assert.equal(answer.status, 200, describeAnswer(answer))
  const line = answer.text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `))
  return line === undefined ? undefined : Number(line.split(' ').pop())
}
const offsetGauge = (c: CollectorProcess, project: string) => metric(c, 'tradetrail_client_clock_offset_seconds', `project="${project}"`)
const skewCount = async (c: CollectorProcess, project: string) => (await metric(c, 'tradetrail_clock_skew_events_total', `project="${project}"`)) ?? 0

test('every answer carries the collector clock at arrival and at answer, in µs, beside the counts', async () => {
  const t0 = (Date.now() - 5) * 1000
  const events = [testEvent('Clocky')]
  const first = await ingest(main, events, {}, bot)
  const t3 = (Date.now() + 5) * 1000
  assert.equal(first.accepted, 1)
  assert.equal(first.first_seq, first.last_seq)
  const { received_us: t1, answered_us: t2 } = first.clock
  assert.ok(Number.isSafeInteger(t1) && Number.isSafeInteger(t2), `integers: ${JSON.stringify(first.clock)}`)
  assert.ok(t0 <= t1 && t1 <= t2 && t2 <= t3, `sent ${t0} ≤ received ${t1} ≤ answered ${t2} ≤ back ${t3}`)
  assert.deepEqual(await flagsOf(main, events), ['none'], 'a batch without a report (the first) is not flagged')

  const again = await ingest(main, events, report(1_000), bot)
  assert.deepEqual([again.duplicates, typeof again.clock.received_us, typeof again.clock.answered_us], [1, 'number', 'number'], 'duplicates-only answers carry it too')
})

test('an offset within the threshold flags nothing and sets the gauge of each project of the batch', async () => {
  const events = [testEvent('Clocky'), testEvent('Other'), testEvent('Clocky')]
  await ingest(main, events, report(-12_000, 800), bot)
  assert.deepEqual(await flagsOf(main, events), ['none', 'none', 'none'])
  assert.equal(await offsetGauge(main, 'Clocky'), -0.012)
  assert.equal(await offsetGauge(main, 'Other'), -0.012)

  await ingest(main, [testEvent('Clocky')], report(3_000), bot)
  assert.equal(await offsetGauge(main, 'Clocky'), 0.003, 'the latest report wins')
  assert.equal(await offsetGauge(main, 'Other'), -0.012, 'a project not in the batch keeps its last value')
  // Exactly at the threshold is within it.
  const edge = [testEvent('Clocky')]
  await ingest(main, edge, report(-50_000), bot)
  assert.deepEqual(await flagsOf(main, edge), ['none'])
})

test('beyond the threshold every event of the batch is stored flagged clock_skew and counted per project', async () => {
  const [clocky0, other0] = [await skewCount(main, 'Clocky'), await skewCount(main, 'Other')]
  const ahead = [testEvent('Clocky'), testEvent('Other', { severity: 'error' }), testEvent('Clocky', { type: 'config_change' })]
  const answer = await ingest(main, ahead, report(120_000), bot)
  assert.equal(answer.accepted, 3)
  assert.deepEqual(await flagsOf(main, ahead), [['clock_skew'], ['clock_skew'], ['clock_skew']])
  const behind = [testEvent('Other')]
  await ingest(main, behind, report(-50_001), bot)
  assert.deepEqual(await flagsOf(main, behind), [['clock_skew']], 'a clock ahead of the collector\'s counts too')

  assert.equal(await skewCount(main, 'Clocky'), clocky0 + 2)
  assert.equal(await skewCount(main, 'Other'), other0 + 2)
  assert.equal(await offsetGauge(main, 'Other'), -0.050001)
  const listed = await http(main.url, '/v1/events?project=Clocky&limit=1', { token: main.adminToken! })
  assert.deepEqual(listed.json<{ events: StoredEvent[] }>().events[0]!.flags, ['clock_skew'], 'GET /v1/events shows the flag')
})

test('an event can carry both privilege_violation and clock_skew', async () => {
  const trade = testEvent('Clocky', { type: 'trade_opened', message: 'Opened long EURUSD' })
  const plain = testEvent('Clocky', { type: 'test' })
  await ingest(main, [trade, plain], report(-75_000), bot)
  assert.deepEqual(await flagsOf(main, [trade, plain]), [['clock_skew', 'privilege_violation'], ['clock_skew']])
  const calm = testEvent('Clocky', { type: 'order_submitted' })
  await ingest(main, [calm], report(10_000), bot)
  assert.deepEqual(await flagsOf(main, [calm]), [['privilege_violation']], 'within the threshold only the privilege flag')
})

test('TRADETRAIL_CLOCK_SKEW_MS sets the threshold, and 0 turns flagging off', async () => {
  const within = [testEvent('Clocky')]
  await ingest(wide, within, report(120_000))
  assert.deepEqual(await flagsOf(wide, within), ['none'], '120 ms is within 500 ms')
  const beyond = [testEvent('Clocky')]
  await ingest(wide, beyond, report(-600_000))
  assert.deepEqual(await flagsOf(wide, beyond), [['clock_skew']])
  assert.equal(await skewCount(wide, 'Clocky'), 1)

  const never = [testEvent('Clocky'), testEvent('Other')]
  await ingest(off, never, report(3_600_000_000))
  assert.deepEqual(await flagsOf(off, never), ['none', 'none'], 'an hour off, yet 0 never flags')
  assert.equal(await offsetGauge(off, 'Clocky'), 3600, 'the gauge still shows the report')
  assert.equal(await skewCount(off, 'Clocky'), 0)
})

test('malformed clock headers are a 400 TT_ERR_HEADER_INVALID naming the header, and store nothing', async () => {
  const cases: Array<[string, OutgoingHttpHeaders, string]> = [
    ['not a number', { 'Tradetrail-Clock-Offset-Us': 'soon', 'Tradetrail-Clock-Rtt-Us': '900' }, 'Tradetrail-Clock-Offset-Us'],
    ['a fraction', { 'Tradetrail-Clock-Offset-Us': '12.5', 'Tradetrail-Clock-Rtt-Us': '900' }, 'Tradetrail-Clock-Offset-Us'],
    ['an exponent', { 'Tradetrail-Clock-Offset-Us': '1e6', 'Tradetrail-Clock-Rtt-Us': '900' }, 'Tradetrail-Clock-Offset-Us'],
    ['beyond 1e13', { 'Tradetrail-Clock-Offset-Us': '-10000000000001', 'Tradetrail-Clock-Rtt-Us': '900' }, 'Tradetrail-Clock-Offset-Us'],
    ['sent twice', { 'Tradetrail-Clock-Offset-Us': ['1', '2'], 'Tradetrail-Clock-Rtt-Us': '900' }, 'Tradetrail-Clock-Offset-Us'],
    ['a negative round trip', { 'Tradetrail-Clock-Offset-Us': '5', 'Tradetrail-Clock-Rtt-Us': '-900' }, 'Tradetrail-Clock-Rtt-Us'],
    ['an empty round trip', { 'Tradetrail-Clock-Offset-Us': '5', 'Tradetrail-Clock-Rtt-Us': '' }, 'Tradetrail-Clock-Rtt-Us'],
    ['an offset alone', { 'Tradetrail-Clock-Offset-Us': '5' }, 'Tradetrail-Clock-Offset-Us was sent without Tradetrail-Clock-Rtt-Us'],
    ['a round trip alone', { 'Tradetrail-Clock-Rtt-Us': '900' }, 'Tradetrail-Clock-Rtt-Us was sent without Tradetrail-Clock-Offset-Us'],
  ]
  const rejected0 = (await metric(main, 'tradetrail_events_rejected_total', 'code="TT_ERR_HEADER_INVALID"')) ?? 0
  for (const [what, headers, named] of cases) {
    const events = [testEvent('Clocky'), testEvent('Clocky', { type: 'trade_opened' })]
    const answer = await http(main.url, '/v1/events', { token: bot, body: events, headers })
    assert.equal(answer.status, 400, `${what}: ${describeAnswer(answer)}`)
    const error = errorOf(answer)
    assert.equal(error.code, 'TT_ERR_HEADER_INVALID', what)
    assert.ok(error.message.includes(named), `${what}: the message names ${named}: ${error.message}`)
    assert.match(error.message, /e\.g\. |send both or neither/, `${what}: the message says what a valid value looks like: ${error.message}`)
    assert.deepEqual(await flagsOf(main, events), [undefined, undefined], `${what}: nothing stored`)
  }
  assert.equal(await metric(main, 'tradetrail_events_rejected_total', 'code="TT_ERR_HEADER_INVALID"'), rejected0 + 2 * cases.length)
})

test('the trail with flagged events still verifies', async () => {
  const flagged = [testEvent('Clocky', { type: 'order_filled' }), testEvent('Other')]
  const { last_seq } = await ingest(main, flagged, report(250_000), bot)
  assert.deepEqual(await flagsOf(main, flagged), [['clock_skew', 'privilege_violation'], ['clock_skew']])
  const answer = await http(main.url, '/v1/verify', { token: main.adminToken! })
  assert.equal(answer.status, 200, describeAnswer(answer))
  const verified = answer.json<{ ok: boolean; problem: unknown; last_seq: number }>()
  assert.equal(verified.ok, true, describeAnswer(answer))
  assert.equal(verified.problem, null)
  assert.ok(verified.last_seq >= last_seq!, `the check reached seq ${last_seq}: ${describeAnswer(answer)}`)
})
