import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Compile } from 'typebox/compile'
import { canonicalize } from '../src/canonical-json.ts'
import { type Problem, TradetrailError } from '../src/errors.ts'
import { LIMITS, UUID_PATTERN } from '../src/event.ts'
import { EventInputSchema } from '../src/event-schema.ts'
import { formatMicros, timestampKey } from '../src/timestamp.ts'
import { type PreparedEvent, prepareEvent, validateBatch } from '../src/validate-event.ts'

const NOW_MS = Date.UTC(2025, 11, 17, 21, 0, 3, 123)
const NOW_MICROS = NOW_MS * 1000 + 456
const options = { nowMicros: NOW_MICROS }
const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const GOOD = { project: 'MyTradingBot', message: 'Opened long EURUSD' }

/** The problems validateBatch reports for `batch`, which must be rejected as TT_ERR_EVENT_INVALID. */
function problemsOf(batch: unknown, opts: { nowMicros: number; maxEvents?: number } = options): Problem[] {
  try {
    validateBatch(batch, opts)
  } catch (error) {
    assert.ok(error instanceof TradetrailError, `expected a TradetrailError, got ${String(error)}`)
    assert.equal(error.code, 'TT_ERR_EVENT_INVALID')
    assert.equal(error.statusCode, 400)
    assert.ok(error.problems !== undefined && error.problems.length > 0)
    return error.problems
  }
  assert.fail('the batch was accepted')
}

/** The single problem of a one-event batch, without its message. */
function problemOf(event: unknown): Omit<Problem, 'message'> {
  const problems = problemsOf([event])
  assert.equal(problems.length, 1, `expected one problem, got ${JSON.stringify(problems)}`)
  const { message, ...rest } = problems[0]!
  assert.ok(message.length > 0)
  return rest
}

function prepareOne(event: unknown): PreparedEvent {
  const [prepared] = validateBatch([event], options)
  assert.ok(prepared)
  return prepared
}

test('a minimal event gets the defaults: type, severity, a UUIDv7 id and ts from the clock', () => {
  const e = prepareOne(GOOD)
  assert.equal(e.type, 'unclassified_event')
  assert.equal(e.severity, 'info')
  assert.match(e.id, UUIDV7)
  assert.equal(parseInt(e.id.slice(0, 8) + e.id.slice(9, 13), 16), NOW_MS, 'the id carries the clock time')
  assert.equal(e.ts, '2025-12-17T21:00:03.123456Z')
  assert.equal(e.tsKey, '2025-12-17T21:00:03.123456000Z')
  assert.equal(e.project, GOOD.project)
  assert.equal(e.message, GOOD.message)
  for (const key of ['source', 'actor', 'dataJson', 'metadataJson', 'flags']) assert.ok(!(key in e), `${key} stays absent`)
})

test('events without ids get distinct ids, in batch order', () => {
  const prepared = validateBatch(Array.from({ length: 50 }, () => GOOD), options)
  const ids = prepared.map((e) => e.id)
  assert.equal(new Set(ids).size, ids.length)
  assert.deepEqual([...ids].sort(), ids)
})

test('a complete event keeps what the producer sent, data and metadata as canonical JSON', () => {
  const input = {
    id: '0190b6a2-3c4d-7e5f-8a6b-7c8d9e0f1a2b',
    ts: '2025-12-17T21:00:03.123456789Z',
    project: 'risk-engine.eu_1',
    type: 'trade_opened',
    severity: 'warning',
    message: 'Opened long EURUSD',
    source: 'OrderRouter',
    actor: 'bot:momentum',
    data: { symbol: 'EURUSD', price: 1.085, quantity: 100000 },
    metadata: { pid: 42, host: 'trader-01' },
  }
  const e = prepareOne(input)
  assert.deepEqual(e, {
    id: input.id,
    ts: input.ts,
    tsKey: '2025-12-17T21:00:03.123456789Z',
    project: input.project,
    type: 'trade_opened',
    severity: 'warning',
    message: input.message,
    source: 'OrderRouter',
    actor: 'bot:momentum',
    dataJson: '{"price":1.085,"quantity":100000,"symbol":"EURUSD"}',
    metadataJson: '{"host":"trader-01","pid":42}',
  })
})

test('ts is kept as sent; its key is the normalised, sortable form', () => {
  const e = prepareOne({ ...GOOD, ts: '2025-12-17t21:00:03.5+00:00' })
  assert.equal(e.ts, '2025-12-17t21:00:03.5+00:00')
  assert.equal(e.tsKey, '2025-12-17T21:00:03.500000000Z')
})

test('custom types that match the pattern are accepted as they are', () => {
  assert.equal(prepareOne({ ...GOOD, type: 'risk.check:v2-beta_1' }).type, 'risk.check:v2-beta_1')
  assert.equal(prepareOne({ ...GOOD, type: 'a' + 'b'.repeat(63) }).type, 'a' + 'b'.repeat(63))
})

test('every severity is accepted', () => {
  for (const severity of ['debug', 'info', 'notice', 'warning', 'error', 'critical']) {
    assert.equal(prepareOne({ ...GOOD, severity }).severity, severity)
  }
})

test('an event that is not an object', () => {
  for (const value of [null, 1, 'event', true, [GOOD]]) {
    assert.deepEqual(problemOf(value), { index: 0, path: '', code: 'TT_ERR_EVENT_NOT_OBJECT' })
  }
})

test('missing required fields', () => {
  assert.deepEqual(problemOf({ message: 'm' }), { index: 0, path: '/project', code: 'TT_ERR_EVENT_MISSING_FIELD' })
  assert.deepEqual(problemOf({ project: 'p' }), { index: 0, path: '/message', code: 'TT_ERR_EVENT_MISSING_FIELD' })
  const both = problemsOf([{}])
  assert.deepEqual(both.map((p) => p.path).sort(), ['/message', '/project'])
  assert.ok(both.every((p) => p.code === 'TT_ERR_EVENT_MISSING_FIELD' && p.index === 0))
})

test('server fields are rejected as such', () => {
  for (const [field, value] of [['seq', 1], ['received_at', '2025-12-17T21:00:03Z'], ['hash', 'ab'.repeat(32)], ['flags', []], ['submitter', 'token:0123456789ab']] as const) {
    const p = problemsOf([{ ...GOOD, [field]: value }])
    assert.equal(p.length, 1)
    assert.equal(p[0]!.code, 'TT_ERR_EVENT_SERVER_FIELD')
    assert.equal(p[0]!.path, `/${field}`)
    assert.match(p[0]!.message, new RegExp(`"${field}" is set by the server`))
  }
})

test('unknown fields are rejected, with the key escaped as a JSON pointer', () => {
  assert.deepEqual(problemOf({ ...GOOD, price: 1.085 }), { index: 0, path: '/price', code: 'TT_ERR_EVENT_UNKNOWN_FIELD' })
  assert.deepEqual(problemOf({ ...GOOD, Project: 'x' }), { index: 0, path: '/Project', code: 'TT_ERR_EVENT_UNKNOWN_FIELD' })
  assert.deepEqual(problemOf({ ...GOOD, 'a/b~c': 1 }), { index: 0, path: '/a~1b~0c', code: 'TT_ERR_EVENT_UNKNOWN_FIELD' })
  const [p] = problemsOf([{ ...GOOD, price: 1 }])
  assert.match(p!.message, /"data"/, 'the message says where custom values go')
})

test('wrong types', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ ...GOOD, project: 42 }, '/project'],
    [{ ...GOOD, message: null }, '/message'],
    [{ ...GOOD, id: 7 }, '/id'],
    [{ ...GOOD, ts: 1766005203123 }, '/ts'],
    [{ ...GOOD, type: ['boot'] }, '/type'],
    [{ ...GOOD, severity: 3 }, '/severity'],
    [{ ...GOOD, source: {} }, '/source'],
    [{ ...GOOD, actor: false }, '/actor'],
    [{ ...GOOD, data: [1, 2] }, '/data'],
    [{ ...GOOD, data: 'symbol=EURUSD' }, '/data'],
    [{ ...GOOD, data: null }, '/data'],
    [{ ...GOOD, metadata: 5 }, '/metadata'],
  ]
  for (const [event, path] of cases) {
    assert.deepEqual(problemOf(event), { index: 0, path, code: 'TT_ERR_EVENT_WRONG_TYPE' }, JSON.stringify(event))
  }
})

test('bad values', () => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ ...GOOD, id: 'not-a-uuid' }, '/id'],
    [{ ...GOOD, id: '0190B6A2-3C4D-7E5F-8A6B-7C8D9E0F1A2B' }, '/id'],
    [{ ...GOOD, id: '0190b6a2-3c4d-7e5f-8a6b-7c8d9e0f1a2b\n' }, '/id'],
    [{ ...GOOD, project: '' }, '/project'],
    [{ ...GOOD, project: 'My Trading Bot' }, '/project'],
    [{ ...GOOD, project: 'x'.repeat(65) }, '/project'],
    [{ ...GOOD, project: 'bot\n' }, '/project'],
    [{ ...GOOD, type: 'TradeOpened' }, '/type'],
    [{ ...GOOD, type: '1st' }, '/type'],
    [{ ...GOOD, type: '' }, '/type'],
    [{ ...GOOD, type: 'a'.repeat(65) }, '/type'],
    [{ ...GOOD, severity: 'fatal' }, '/severity'],
    [{ ...GOOD, severity: 'INFO' }, '/severity'],
    [{ ...GOOD, source: 'x'.repeat(129) }, '/source'],
    [{ ...GOOD, actor: 'x'.repeat(129) }, '/actor'],
  ]
  for (const [event, path] of cases) {
    assert.deepEqual(problemOf(event), { index: 0, path, code: 'TT_ERR_EVENT_BAD_VALUE' }, JSON.stringify(event))
  }
  // The limits themselves are fine.
  prepareOne({ ...GOOD, project: 'x'.repeat(64), source: 'x'.repeat(128), actor: 'y'.repeat(128) })
})

test('values in data and metadata that JSON cannot carry are bad values at their own path', () => {
  assert.deepEqual(problemOf({ ...GOOD, data: { price: NaN } }), { index: 0, path: '/data/price', code: 'TT_ERR_EVENT_BAD_VALUE' })
  assert.deepEqual(problemOf({ ...GOOD, data: { legs: [{ px: Infinity }] } }), { index: 0, path: '/data/legs/0/px', code: 'TT_ERR_EVENT_BAD_VALUE' })
  assert.deepEqual(problemOf({ ...GOOD, metadata: { a: { b: undefined } } }), { index: 0, path: '/metadata/a/b', code: 'TT_ERR_EVENT_BAD_VALUE' })
  const [p] = problemsOf([{ ...GOOD, data: { price: NaN } }])
  assert.match(p!.message, /^"data\/price" is NaN/)
})

test('bad timestamps', () => {
  for (const ts of ['yesterday', '2025-12-17', '2025-12-17T21:00:03', '2025-12-17T21:00:03+01:00', '2025-02-29T00:00:00Z', '2025-12-17T24:00:00Z', '2025-12-17T21:00:03.1234567890Z']) {
    assert.deepEqual(problemOf({ ...GOOD, ts }), { index: 0, path: '/ts', code: 'TT_ERR_EVENT_BAD_TIMESTAMP' }, ts)
  }
  const [p] = problemsOf([{ ...GOOD, ts: '2025-12-17T21:00:03+01:00' }])
  assert.match(p!.message, /RFC 3339 UTC/)
  assert.match(p!.message, /\+01:00/, 'the message quotes what was sent')
})

test('lone surrogates in strings', () => {
  for (const field of ['message', 'source', 'actor', 'ts', 'project', 'type', 'severity', 'id']) {
    assert.deepEqual(problemOf({ ...GOOD, [field]: 'a\ud800b' }), { index: 0, path: `/${field}`, code: 'TT_ERR_EVENT_BAD_STRING' }, field)
  }
  assert.deepEqual(problemOf({ ...GOOD, data: { note: 'a\udc00' } }), { index: 0, path: '/data/note', code: 'TT_ERR_EVENT_BAD_VALUE' })
  // A surrogate pair is fine.
  assert.equal(prepareOne({ ...GOOD, message: 'up \ud83d\ude00' }).message, 'up 😀')
})

test('message is limited to 8 KiB of UTF-8, counted in bytes, not characters', () => {
  assert.equal(LIMITS.messageBytes, 8192)
  prepareOne({ ...GOOD, message: 'x'.repeat(8192) })
  prepareOne({ ...GOOD, message: 'é'.repeat(4096) }) // 8192 bytes
  prepareOne({ ...GOOD, message: '😀'.repeat(2048) }) // 8192 bytes, 4096 UTF-16 units
  const tooLong: Array<[string, number]> = [
    ['x'.repeat(8193), 8193],
    ['é'.repeat(4097), 8194], // only 4097 characters
    ['€'.repeat(2731), 8193], // only 2731 characters
    ['😀'.repeat(2048) + 'x', 8193],
  ]
  for (const [message, bytes] of tooLong) {
    const [p, ...rest] = problemsOf([{ ...GOOD, message }])
    assert.equal(rest.length, 0)
    assert.equal(p!.code, 'TT_ERR_EVENT_TOO_LARGE')
    assert.equal(p!.path, '/message')
    assert.match(p!.message, new RegExp(`is ${bytes} bytes .* limit is 8192 bytes`))
  }
})

test('data is limited to 64 KiB of canonical JSON, counted in UTF-8 bytes', () => {
  // {"s":"…"} is 8 bytes plus the string.
  prepareOne({ ...GOOD, data: { s: 'x'.repeat(65536 - 8) } })
  prepareOne({ ...GOOD, data: { s: 'é'.repeat((65536 - 8) / 2) } })
  // Whitespace the producer sent does not count: only the canonical form does.
  assert.equal(prepareOne({ ...GOOD, data: JSON.parse(`{ "s" :  "${'x'.repeat(65536 - 8)}" }`) }).dataJson!.length, 65536)
  for (const data of [{ s: 'x'.repeat(65536 - 7) }, { s: 'é'.repeat((65536 - 8) / 2 + 1) }, { s: '😀'.repeat((65536 - 8) / 4 + 1) }]) {
    assert.deepEqual(problemOf({ ...GOOD, data }), { index: 0, path: '/data', code: 'TT_ERR_EVENT_TOO_LARGE' })
  }
})

test('metadata is limited to 16 KiB of canonical JSON', () => {
  prepareOne({ ...GOOD, metadata: { s: 'x'.repeat(16384 - 8) } })
  assert.deepEqual(problemOf({ ...GOOD, metadata: { s: 'x'.repeat(16384 - 7) } }), { index: 0, path: '/metadata', code: 'TT_ERR_EVENT_TOO_LARGE' })
  assert.deepEqual(problemOf({ ...GOOD, metadata: { s: 'é'.repeat(8189) } }), { index: 0, path: '/metadata', code: 'TT_ERR_EVENT_TOO_LARGE' })
})

test('source and actor count characters (code points), as the schema\'s maxLength does', () => {
  // 128 emoji are 128 characters but 256 UTF-16 code units; JSON Schema (and TypeBox) count characters.
  const e = prepareOne({ ...GOOD, source: '😀'.repeat(128), actor: '😀'.repeat(128) })
  assert.equal(e.source, '😀'.repeat(128))
  assert.deepEqual(problemOf({ ...GOOD, source: '😀'.repeat(129) }), { index: 0, path: '/source', code: 'TT_ERR_EVENT_BAD_VALUE' })
})

test('every problem of every event of a batch is reported, with its index', () => {
  const batch = [
    GOOD,
    { project: 'bad project', severity: 'fatal', seq: 3, colour: 'red' }, // 4 problems + missing message
    GOOD,
    'not an event',
    { ...GOOD, ts: 'now', data: [] },
  ]
  const problems = problemsOf(batch)
  const summary = problems.map(({ index, path, code }) => `${index} ${path} ${code}`).sort()
  assert.deepEqual(summary, [
    '1 /colour TT_ERR_EVENT_UNKNOWN_FIELD',
    '1 /message TT_ERR_EVENT_MISSING_FIELD',
    '1 /project TT_ERR_EVENT_BAD_VALUE',
    '1 /seq TT_ERR_EVENT_SERVER_FIELD',
    '1 /severity TT_ERR_EVENT_BAD_VALUE',
    '3  TT_ERR_EVENT_NOT_OBJECT',
    '4 /data TT_ERR_EVENT_WRONG_TYPE',
    '4 /ts TT_ERR_EVENT_BAD_TIMESTAMP',
  ])
  for (const p of problems) assert.ok(p.message.length > 0)
})

test('the batch error says how many problems there are and which event the first is in', () => {
  try {
    validateBatch([GOOD, { ...GOOD, severity: 'fatal' }, { ...GOOD, type: 'X' }], options)
    assert.fail('accepted')
  } catch (error) {
    assert.ok(error instanceof TradetrailError)
    assert.match(error.message, /rejected whole: 2 problems, first: event 1: .*severity.*TT_ERR_EVENT_BAD_VALUE/)
    assert.deepEqual(error.toJSON().problems, error.problems)
  }
})

test('a body that is not an array', () => {
  for (const body of [GOOD, null, 'events', 3]) {
    const problems = problemsOf(body)
    assert.equal(problems.length, 1)
    assert.equal(problems[0]!.path, '')
    assert.equal(problems[0]!.code, 'TT_ERR_EVENT_WRONG_TYPE')
    assert.equal(problems[0]!.index, undefined)
  }
})

test('an empty batch', () => {
  assert.throws(() => validateBatch([], options), (error: unknown) => {
    assert.ok(error instanceof TradetrailError)
    assert.equal(error.code, 'TT_ERR_BATCH_EMPTY')
    assert.equal(error.statusCode, 400)
    return true
  })
})

test('a batch over maxEvents is refused before its events are looked at', () => {
  const batch = Array.from({ length: 11 }, () => ({ bad: true }))
  assert.throws(() => validateBatch(batch, { ...options, maxEvents: 10 }), (error: unknown) => {
    assert.ok(error instanceof TradetrailError)
    assert.equal(error.code, 'TT_ERR_BATCH_TOO_LARGE')
    assert.equal(error.statusCode, 413)
    assert.match(error.message, /11 events; the limit is 10/)
    return true
  })
  assert.equal(validateBatch(Array.from({ length: 10 }, () => GOOD), { ...options, maxEvents: 10 }).length, 10)
})

test('prepareEvent appends its problems with the index it is given and leaves earlier ones alone', () => {
  const problems: Problem[] = [{ index: 0, path: '/x', code: 'EARLIER', message: 'kept' }]
  assert.equal(prepareEvent({ ...GOOD, severity: 'loud' }, 7, NOW_MICROS, problems), undefined)
  assert.equal(problems.length, 2)
  assert.equal(problems[0]!.code, 'EARLIER')
  assert.deepEqual({ ...problems[1], message: undefined }, { index: 7, path: '/severity', code: 'TT_ERR_EVENT_BAD_VALUE', message: undefined })
  const ok = prepareEvent(GOOD, 8, NOW_MICROS, problems)
  assert.ok(ok)
  assert.equal(problems.length, 2)
})

test('a server-assigned ts is the clock time in microseconds', () => {
  const micros = Date.UTC(2030, 0, 2, 3, 4, 5, 6) * 1000 + 7
  const e = prepareEvent(GOOD, 0, micros, [])!
  assert.equal(e.ts, formatMicros(micros))
  assert.equal(e.ts, '2030-01-02T03:04:05.006007Z')
  assert.equal(e.tsKey, timestampKey(e.ts))
})

// --- The hand-written validator accepts exactly what the schema plus the extra rules accept ---

const schema = Compile(EventInputSchema)
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8')

/** The rules EventInputSchema cannot express. Only meaningful for values the schema accepts. */
function extraRulesHold(e: Record<string, unknown>): boolean {
  for (const key of ['id', 'ts', 'project', 'type', 'severity', 'message', 'source', 'actor']) {
    const v = e[key]
    if (typeof v === 'string' && !v.isWellFormed()) return false
  }
  if (typeof e.ts === 'string' && timestampKey(e.ts) === undefined) return false
  if (typeof e.message === 'string' && byteLength(e.message) > LIMITS.messageBytes) return false
  for (const [key, limit] of [['data', LIMITS.dataBytes], ['metadata', LIMITS.metadataBytes]] as const) {
    if (!(key in e)) continue
    let text: string
    try {
      text = canonicalize(e[key])
    } catch {
      return false
    }
    if (byteLength(text) > limit) return false
  }
  return true
}

const mixedUnit = fc.constantFrom('a', 'Z', '0', '_', '.', '-', ':', ' ', '\n', 'é', '€', '😀', 'e\u0301', '\ud800', '\udc00')
const mixedString = (maxLength: number) => fc.string({ unit: mixedUnit, maxLength })
const junk = fc.oneof(fc.constant(null), fc.integer(), fc.boolean(), fc.constant([]), fc.constant({}), fc.constant(1.5))
const ABSENT = Symbol('absent')
// Labels around the 128-character limit, some with characters outside the BMP (two UTF-16 units each).
const nearLabelLimit = fc.string({ unit: fc.constantFrom('x', 'é', '😀'), minLength: 120, maxLength: 136 })

/** A field that is absent, valid, or anything at all (often invalid), in proportions that give both outcomes. */
function field<T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof({ weight: 3, arbitrary: fc.constant(ABSENT) }, { weight: 4, arbitrary: valid }, { weight: 1, arbitrary: other })
}

const fields = {
  id: field(
    fc.oneof(fc.uuid(), fc.constantFrom('0190b6a2-3c4d-7e5f-8a6b-7c8d9e0f1a2b', '6ba7b810-9dad-41d1-80b4-00c04fd430c8')),
    fc.oneof(fc.constantFrom('0190B6A2-3C4D-7E5F-8A6B-7C8D9E0F1A2B', '0190b6a2-3c4d-0e5f-8a6b-7c8d9e0f1a2b', '0190b6a2-3c4d-7e5f-ca6b-7c8d9e0f1a2b',
      '0190b6a2-3c4d-7e5f-8a6b-7c8d9e0f1a2b\n', 'not-a-uuid', '', '0190b6a2-3c4d-7e5f-8a6b-7c8d9e0f1a2\ud800'), mixedString(40), junk),
  ),
  ts: field(
    fc.oneof(
      fc.constantFrom('2025-12-17T21:00:03Z', '2025-12-17T21:00:03.123456789Z', '2025-12-17t21:00:03.5z', '2024-02-29T00:00:00+00:00', '2025-12-17T21:00:03-00:00'),
      fc.date({ min: new Date(0), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }).map((d) => d.toISOString()),
    ),
    fc.oneof(fc.constantFrom('2025-02-29T00:00:00Z', '2025-12-17T24:00:00Z', '2016-12-31T23:59:60Z', '2025-12-17T21:00:03+01:00', '2025-12-17 21:00:03Z',
      '2025-12-17T21:00:03.Z', '2025-12-17T21:00:03.1234567890Z', '2025-12-17T21:00:03Z\n', '2025-12-17T21:00:03\ud800Z', ''), mixedString(30), junk),
  ),
  project: field(
    fc.oneof(fc.constantFrom('MyTradingBot', 'a', 'x'.repeat(64)), fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/)),
    fc.oneof(fc.constantFrom('x'.repeat(65), '', 'My Bot', 'bot\n', 'bøt', 'bot\ud800'), fc.stringMatching(/^[A-Za-z0-9_.-]{60,70}$/), mixedString(10), junk),
  ),
  type: field(
    fc.oneof(fc.constantFrom('boot', 'trade_opened', 'unclassified_event', 'a' + 'b'.repeat(63)), fc.stringMatching(/^[a-z][a-z0-9_.:-]{0,63}$/)),
    fc.oneof(fc.constantFrom('a' + 'b'.repeat(64), 'Boot', '1x', '', 'x y', 'x\ud800'), fc.stringMatching(/^[a-z0-9_.:A-]{1,66}$/), mixedString(10), junk),
  ),
  severity: field(
    fc.constantFrom('debug', 'info', 'notice', 'warning', 'error', 'critical'),
    fc.oneof(fc.constantFrom('fatal', 'INFO', '', 'info\ud800'), junk),
  ),
  message: field(
    fc.oneof(fc.constantFrom('', 'Opened long EURUSD', 'x'.repeat(8192), 'é'.repeat(4096), '€'.repeat(2730), '😀'.repeat(2048)), fc.string()),
    fc.oneof(fc.constantFrom('x'.repeat(8193), 'é'.repeat(4097), '€'.repeat(2731), '😀'.repeat(2048) + 'x', 'a\ud800', '\udc00' + 'x'.repeat(9000)), mixedString(50), junk),
  ),
  source: field(
    fc.oneof(fc.constantFrom('OrderRouter', '', 'x'.repeat(128), 'e\u0301'.repeat(64), '😀'.repeat(100)), fc.string({ maxLength: 128 })),
    fc.oneof(fc.constantFrom('x'.repeat(129), 'e\u0301'.repeat(65), '😀'.repeat(129), 'a\ud800'), nearLabelLimit, mixedString(140), junk),
  ),
  actor: field(
    fc.oneof(fc.constantFrom('bot:momentum', '', 'y'.repeat(128), '😀'.repeat(128)), fc.string({ maxLength: 128 })),
    fc.oneof(fc.constantFrom('y'.repeat(129), '😀'.repeat(129), 'a\udc00'), nearLabelLimit, mixedString(140), junk),
  ),
  data: field(
    fc.oneof(fc.constantFrom({}, { symbol: 'EURUSD', price: 1.085 }, { a: { b: [1, { c: null }] } }, { 'k\n': 1 }, { s: 'x'.repeat(LIMITS.dataBytes - 8) },
      { s: 'é'.repeat((LIMITS.dataBytes - 8) / 2) }), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 })),
    fc.constantFrom<unknown>({ s: 'x'.repeat(LIMITS.dataBytes - 7) }, { s: 'é'.repeat((LIMITS.dataBytes - 8) / 2 + 1) }, { x: NaN }, { x: [Infinity] },
      { x: undefined }, { x: '\ud800' }, { '\udc00': 1 }, { at: new Date(0) }, new Map(), [], [1], 'x', null, 5),
  ),
  metadata: field(
    fc.oneof(fc.constantFrom({}, { pid: 42, host: 'trader-01' }, { s: 'x'.repeat(LIMITS.metadataBytes - 8) }),
      fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 })),
    fc.constantFrom<unknown>({ s: 'x'.repeat(LIMITS.metadataBytes - 7) }, { s: 'é'.repeat((LIMITS.metadataBytes - 8) / 2 + 1) }, { x: NaN },
      { x: undefined }, [], 'x', null),
  ),
}
const extraArb = fc.oneof(
  fc.constantFrom<[string, unknown]>(['seq', 1], ['received_at', '2025-12-17T21:00:03Z'], ['hash', 'ab'], ['flags', []], ['price', 1.085], ['Message', 'm'], ['a/b~c', 1]),
  fc.tuple(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 })),
)

const eventArb = fc.record({
  fields: fc.record(fields),
  extras: fc.oneof({ weight: 9, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(extraArb, { minLength: 1, maxLength: 2 }) }),
  // Required fields are forced in most of the time, so that the other rules get exercised.
  withRequired: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
}).map(({ fields, extras, withRequired }) => {
  const out: Record<string, unknown> = withRequired ? { project: 'MyTradingBot', message: 'm' } : {}
  for (const [key, value] of Object.entries(fields)) if (value !== ABSENT) out[key] = value
  for (const [key, value] of extras) if (!(key in out)) out[key] = value
  return out
})
const inputArb = fc.oneof({ weight: 30, arbitrary: eventArb }, { weight: 1, arbitrary: fc.oneof(junk, fc.string()) })

test('prepareEvent accepts exactly what EventInputSchema plus the extra rules accept', () => {
  let accepted = 0
  let rejected = 0
  fc.assert(fc.property(inputArb, (input) => {
    const problems: Problem[] = []
    const prepared = prepareEvent(input, 0, NOW_MICROS, problems)
    const expected = schema.Check(input) && extraRulesHold(input as Record<string, unknown>)
    assert.equal(prepared !== undefined, expected, `schema+rules say ${expected}, prepareEvent says ${prepared !== undefined}; problems ${JSON.stringify(problems)}`)
    assert.equal(problems.length === 0, expected, 'problems are reported exactly when the event is rejected')
    for (const p of problems) {
      assert.equal(p.index, 0)
      assert.match(p.code, /^TT_ERR_EVENT_/)
    }
    if (prepared === undefined) rejected++
    else {
      accepted++
      assert.match(prepared.id, new RegExp(UUID_PATTERN))
      assert.ok(timestampKey(prepared.ts) !== undefined)
    }
  }), { numRuns: 500 })
  // The generator must exercise both sides.
  assert.ok(accepted > 50 && rejected > 200, `${accepted} generated events were valid and ${rejected} invalid: the generator is lopsided`)
})
