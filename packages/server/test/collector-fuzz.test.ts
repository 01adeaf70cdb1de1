/**
 * Bad input gets a clear error and changes nothing (PRODUCT.md guarantee 6), fuzzed with
 * fast-check against a real collector process: thousands of malformed bodies (random bytes,
 * random JSON, events with wrong types, deep nesting, huge strings, NDJSON with broken lines),
 * random headers, Content-Length mismatches and random query strings. Every answer is a 4xx
 * `{ "error": { "code": "TT_ERR_…" } }` in time, the collector stays up, and no producer event
 * is stored.
 */
import assert from 'node:assert/strict'
import { after, afterEach, before, test } from 'node:test'
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import { MAX_DEPTH, PROJECT_PATTERN, SEVERITIES, TYPE_PATTERN, UUID_PATTERN, parseTimeBound, timestampKey } from '@tradetrail/core'
import {
  type CollectorProcess, closeHttp, deferredHooks, describeAnswer, http, type HttpAnswer, producerCounts, rawRequest, spawnCollector, testEvent,
} from '@tradetrail/test-support'

const PROJECT = 'FuzzP'
const PROJECT_RE = new RegExp(PROJECT_PATTERN)
const TYPE_RE = new RegExp(TYPE_PATTERN)
const UUID_RE = new RegExp(UUID_PATTERN)
/** Every answer within this, or the collector hangs. */
const ANSWER_MS = 15_000

// A failing run shows the assertion that failed, not only the counterexample.
fc.configureGlobal({ includeErrorInReport: true })

const owner = deferredHooks()
let c: CollectorProcess
let admin: string
/** Ingest token for PROJECT only: a valid event of another project would be refused too. */
let ingest: string
let storeBefore: { counts: Record<string, number>; head: number }
let requests = 0

before(async () => {
  c = await spawnCollector(owner)
  admin = c.adminToken!
  const created = await http(c.url, '/v1/tokens', { token: admin, body: { scope: 'ingest', projects: [PROJECT], privileges: ['execute_trade'] } })
  assert.equal(created.status, 201, describeAnswer(created))
  ingest = created.json<{ token: string }>().token
  const seeded = await http(c.url, '/v1/events', { token: ingest, body: [testEvent(PROJECT, { message: 'the one valid event' })] })
  assert.equal(seeded.status, 200, describeAnswer(seeded))
  storeBefore = await storeState()
})
after(async () => {
  closeHttp()
  await owner.run()
})

/** What a fuzzed request must not change: events per producer project and the head of ours. */
async function storeState(): Promise<{ counts: Record<string, number>; head: number }> {
  const page = await http(c.url, `/v1/events?project=${PROJECT}&limit=1`, { token: admin })
  assert.equal(page.status, 200, describeAnswer(page))
  return { counts: await producerCounts(c.url, admin), head: page.json<{ events: Array<{ seq: number }> }>().events[0]!.seq }
}

// After every property: still up, still ready, nothing stored.
afterEach(async () => {
  assert.ok(c.running(), `the collector died: ${c.stderr().slice(-1000)}`)
  assert.equal((await http(c.url, '/healthz')).status, 200, 'healthz after fuzzing')
  assert.equal((await http(c.url, '/readyz')).status, 200, 'readyz after fuzzing')
  assert.deepEqual(await storeState(), storeBefore, 'the store is unchanged (the collector\'s own tradetrail events left out)')
})

/** The contract for bad input: 4xx, JSON, a TT_ERR code and a message. */
function assertClearRefusal(answer: HttpAnswer, what: string): { code: string; message: string; problems?: Array<{ index?: number }> } {
  requests++
  assert.ok(answer.status >= 400 && answer.status < 500, `${what}: expected a 4xx, saw ${describeAnswer(answer)}`)
  let parsed: { error?: { code?: unknown; message?: unknown; problems?: Array<{ index?: number }> } }
  try {
    parsed = JSON.parse(answer.text)
  } catch {
    assert.fail(`${what}: expected a JSON error, saw ${describeAnswer(answer)}`)
  }
  assert.match(String(parsed.error?.code), /^TT_ERR_[A-Z_]+$/, `${what}: expected {"error":{"code":"TT_ERR_…"}}, saw ${describeAnswer(answer)}`)
  assert.equal(typeof parsed.error?.message, 'string', `${what}: expected a message, saw ${describeAnswer(answer)}`)
  return parsed.error as { code: string; message: string; problems?: Array<{ index?: number }> }
}

function post(body: string | Buffer, headers: Record<string, string>): Promise<HttpAnswer> {
  return http(c.url, '/v1/events', { token: ingest, body, headers, timeoutMs: ANSWER_MS })
}

// ---------------------------------------------------------------------------------------------
// Generators. Every body they make is invalid by construction, so a 2xx is a finding.

/** Whether a parsed body could be a valid batch: some object holding both required fields. */
function couldBeValid(value: unknown): boolean {
  const event = (e: unknown): boolean => typeof e === 'object' && e !== null && !Array.isArray(e) && 'project' in e && 'message' in e
  return Array.isArray(value) ? value.length > 0 && value.every(event) : event(value)
}

/** Sets a key as an own enumerable property, `__proto__` included. */
/** A copy of `o` with `key` set (defineProperty, so even "__proto__" becomes a plain key). Never mutates: fast-check reuses values while shrinking. */
function withKey(o: Record<string, unknown>, key: string, value: unknown): Record<string, unknown> {
  const copy = { ...o }
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true })
  return copy
}

const notAString = fc.oneof(
  fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.integer(), { maxKeys: 3 }),
)
const notAnObject = fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 3 }))
const text = (max = 30) => fc.string({ unit: 'binary', maxLength: max })
/** Nested objects `{"k":{"k":…}}` of the given depth. */
const nested = (depth: number, leaf: unknown = 1): Record<string, unknown> => {
  let value: unknown = leaf
  for (let i = 0; i < depth; i++) value = { k: value }
  return value as Record<string, unknown>
}

/** For each field, values that break it. */
const BAD_VALUES: Record<string, fc.Arbitrary<unknown>> = {
  id: fc.oneof(notAString, text().filter((s) => !UUID_RE.test(s)), fc.uuid({ version: 7 }).map((u) => u.toUpperCase()).filter((u) => /[A-F]/.test(u))),
  ts: fc.oneof(notAString, fc.oneof(fc.constantFrom('yesterday', '2025-13-01T00:00:00Z', '2025-12-17 21:00:03', '2025-12-17T25:00:00Z', '', 'now'), text()).filter((s) => timestampKey(s) === undefined)),
  project: fc.oneof(notAString, fc.constantFrom('', 'x'.repeat(65), 'has space', 'ünïcode'), text().filter((s) => !PROJECT_RE.test(s))),
  type: fc.oneof(notAString, fc.constantFrom('', 'Trade', '1abc', 'a'.repeat(65)), text().filter((s) => !TYPE_RE.test(s))),
  severity: fc.oneof(notAString, text().filter((s) => !(SEVERITIES as readonly string[]).includes(s))),
  message: fc.oneof(notAString, fc.constantFrom('lone \ud800 surrogate', '\udfff'), fc.integer({ min: 8193, max: 40_000 }).map((n) => 'm'.repeat(n)), fc.integer({ min: 2731, max: 5000 }).map((n) => '€'.repeat(n))),
  source: fc.oneof(notAString, fc.integer({ min: 129, max: 2000 }).map((n) => 's'.repeat(n))),
  actor: fc.oneof(notAString, fc.integer({ min: 129, max: 2000 }).map((n) => 'a'.repeat(n))),
  data: fc.oneof(notAnObject, fc.integer({ min: 65_600, max: 200_000 }).map((n) => ({ blob: 'd'.repeat(n) })), fc.constant({ bad: 'lone \ud800' })),
  metadata: fc.oneof(notAnObject, fc.integer({ min: 16_400, max: 50_000 }).map((n) => ({ blob: 'x'.repeat(n) }))),
}
const KNOWN = new Set(Object.keys(BAD_VALUES))

type Mutation = (e: Record<string, unknown>) => Record<string, unknown> | unknown
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // A field of the wrong type or an invalid value.
  fc.constantFrom(...KNOWN).chain((key) => BAD_VALUES[key]!.map((value): Mutation => (e) => withKey(e, key, value))),
  // A field the format does not have, or one the server sets.
  fc.tuple(text(20).filter((k) => !KNOWN.has(k)), fc.jsonValue({ maxDepth: 2 })).map(([key, value]): Mutation => (e) => withKey(e, key, value)),
  fc.tuple(fc.constantFrom('seq', 'received_at', 'hash', 'flags'), fc.jsonValue({ maxDepth: 1 })).map(([key, value]): Mutation => (e) => withKey(e, key, value)),
  // A required field missing.
  fc.constantFrom('project', 'message').map((key): Mutation => (e) => {
    const copy = { ...e }
    delete copy[key]
    return copy
  }),
  // Not an object at all.
  notAnObject.map((value): Mutation => () => value),
)

/** A valid event of our project, with optional stress that is still valid (deep but small data, unicode, long but allowed strings). */
const validEvent = fc.record({
  message: fc.oneof(text(40), fc.integer({ min: 1, max: 8000 }).map((n) => 'v'.repeat(n))),
  type: fc.constantFrom('test', 'trade_opened', 'order_filled', 'custom.kind:x-1'),
  severity: fc.constantFrom(...SEVERITIES),
  data: fc.option(fc.oneof(fc.dictionary(text(8), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 }), fc.integer({ min: 1, max: MAX_DEPTH - 1 }).map((d) => nested(d))), { nil: undefined }),
}).map((r) => {
  const e: Record<string, unknown> = { project: PROJECT, message: r.message, type: r.type, severity: r.severity }
  if (r.data !== undefined) e.data = r.data
  return e
})

/** A batch of 1–10 events, at least one broken; returns the batch and the indexes of the broken ones. */
const brokenBatch = fc.array(fc.tuple(validEvent, fc.array(mutation, { maxLength: 3 })), { minLength: 1, maxLength: 10 })
  .chain((events) => fc.tuple(fc.constant(events), fc.integer({ min: 0, max: events.length - 1 }), mutation))
  .map(([events, forced, extra]) => {
    const bad: number[] = []
    const batch = events.map(([event, mutations], i) => {
      const all = i === forced ? [...mutations, extra] : mutations
      let result: unknown = event
      for (const m of all) result = typeof result === 'object' && result !== null && !Array.isArray(result) ? m(result as Record<string, unknown>) : result
      if (all.length > 0) bad.push(i)
      return result
    })
    return { batch, bad }
  })

const randomBytes = fc.uint8Array({ maxLength: 4096 }).map((b) => Buffer.from(b)).filter((b) => !(b.includes('project') && b.includes('message')))
const randomJson = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }).filter((v) => !couldBeValid(v)).map((v) => JSON.stringify(v)),
  fc.json({ maxDepth: 4 }).filter((s) => !couldBeValid(JSON.parse(s))),
  // Deep nesting at the top: arrays and objects tens of thousands deep.
  fc.tuple(fc.integer({ min: 1, max: 100_000 }), fc.boolean()).map(([d, arrays]) => arrays ? '['.repeat(d) + ']'.repeat(d) : '{"k":'.repeat(d) + '1' + '}'.repeat(d)),
  // Huge strings where they do not belong.
  fc.integer({ min: 10_000, max: 1_000_000 }).map((n) => JSON.stringify([{ ['k'.repeat(n)]: 1 }])),
  fc.integer({ min: 10_000, max: 1_000_000 }).map((n) => JSON.stringify('s'.repeat(n))),
)

const line = (e: unknown): string => JSON.stringify(e)
/** NDJSON of valid events with one broken line; returns the text and the broken line's number (1-based). */
const brokenNdjson = fc.tuple(
  fc.array(validEvent, { maxLength: 8 }),
  fc.nat(),
  fc.oneof(
    validEvent.chain((e) => fc.integer({ min: 1, max: line(e).length - 1 }).map((n) => line(e).slice(0, n))),
    fc.constantFrom('{', '}{', '{"a":1}}', '[1,', 'nul', `{"project":"${PROJECT}",}`, "{'project':'x'}", '{"message":"m" "project":"p"}', 'NaN', '\u0000'),
    text(40).filter((s) => !s.includes('\n') && s.trim() !== '' && (() => {
      try {
        JSON.parse(s.trim())
        return false
      } catch {
        return true
      }
    })()),
  ),
  fc.array(fc.constantFrom('', ' ', '\t', '\r'), { maxLength: 3 }),
  fc.constantFrom('\n', '\r\n'),
).map(([events, at, broken, blanks, eol]) => {
  const lines = events.map(line)
  const position = lines.length === 0 ? 0 : at % (lines.length + 1)
  lines.splice(position, 0, broken)
  lines.unshift(...blanks)
  return { text: lines.join(eol) + eol, brokenLine: position + blanks.length + 1 }
})

/** Any invalid body, as bytes. */
const invalidBody = fc.oneof(
  randomBytes,
  randomJson.map((s) => Buffer.from(s)),
  brokenBatch.map(({ batch }) => Buffer.from(JSON.stringify(batch))),
  brokenNdjson.map(({ text: t }) => Buffer.from(t)),
)

const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 40 })
const contentType = fc.oneof(
  fc.constantFrom(
    'application/json', 'application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json-seq', 'APPLICATION/JSON',
    'application/json; charset=utf-8', 'application/json; charset=utf-16', 'application/json;;;', 'application/json, text/plain',
    'text/plain', 'text/html', 'application/xml', 'multipart/form-data; boundary=x', 'application/octet-stream', '*/*', '', ' ',
  ),
  printable,
)
const contentEncoding = fc.option(fc.oneof(
  fc.constantFrom('gzip', 'x-gzip', 'GZIP', ' gzip ', 'identity', 'deflate', 'br', 'compress', 'gzip, gzip', 'gzip, identity', '*', ''),
  printable,
), { nil: undefined })

// ---------------------------------------------------------------------------------------------

test('random bytes and random JSON as bodies are refused with a TT_ERR code', async () => {
  await fc.assert(fc.asyncProperty(randomBytes, fc.constantFrom('application/json', 'application/x-ndjson'), fc.boolean(), async (body, type, zipped) => {
    const answer = await post(zipped ? gzipSync(body) : body, { 'content-type': type, ...(zipped ? { 'content-encoding': 'gzip' } : {}) })
    assertClearRefusal(answer, `${body.length} random bytes as ${type}${zipped ? ', gzipped' : ''}`)
  }), { numRuns: 400 })
  await fc.assert(fc.asyncProperty(randomJson, fc.constantFrom('application/json', 'application/x-ndjson'), async (body, type) => {
    const answer = await post(body, { 'content-type': type })
    const error = assertClearRefusal(answer, `random JSON (${body.length} chars) as ${type}`)
    if (answer.status === 413) assert.equal(error.code, 'TT_ERR_BODY_TOO_LARGE')
  }), { numRuns: 400 })
})

test('batches with wrong types, bad values, unknown or server fields are rejected whole, naming every bad index', async () => {
  await fc.assert(fc.asyncProperty(brokenBatch, fc.boolean(), async ({ batch, bad }, zipped) => {
    const json = JSON.stringify(batch)
    const answer = await post(zipped ? gzipSync(json) : json, { 'content-type': 'application/json', ...(zipped ? { 'content-encoding': 'gzip' } : {}) })
    const error = assertClearRefusal(answer, `a batch of ${batch.length} with bad events ${bad.join(',')}`)
    if (answer.status === 413) {
      assert.equal(error.code, 'TT_ERR_BODY_TOO_LARGE') // huge strings in many events
      return
    }
    assert.equal(answer.status, 400, describeAnswer(answer))
    assert.equal(error.code, 'TT_ERR_EVENT_INVALID', describeAnswer(answer))
    const indexes = [...new Set((error.problems ?? []).map((p) => p.index))].sort((a, b) => a! - b!)
    assert.deepEqual(indexes, bad, `problems name exactly the bad events: ${describeAnswer(answer)}`)
  }), { numRuns: 700 })
})

test('NDJSON with a broken line is refused, naming the line', async () => {
  await fc.assert(fc.asyncProperty(brokenNdjson, fc.constantFrom('application/x-ndjson', 'application/ndjson', 'application/jsonl'), fc.boolean(), async ({ text: body, brokenLine }, type, zipped) => {
    const answer = await post(zipped ? gzipSync(body) : body, { 'content-type': type, ...(zipped ? { 'content-encoding': 'gzip' } : {}) })
    const error = assertClearRefusal(answer, `NDJSON broken at line ${brokenLine}`)
    assert.equal(error.code, 'TT_ERR_BODY_INVALID', describeAnswer(answer))
    assert.match(error.message, new RegExp(`line ${brokenLine}:`), describeAnswer(answer))
  }), { numRuns: 300 })
})

test('random Content-Type, Content-Encoding and other headers with bad bodies are refused with a TT_ERR code', async () => {
  const extraHeaders = fc.dictionary(fc.stringMatching(/^x-[a-z0-9-]{1,12}$/), printable, { maxKeys: 3 })
  await fc.assert(fc.asyncProperty(invalidBody, contentType, contentEncoding, fc.boolean(), extraHeaders, async (body, type, encoding, zipped, extra) => {
    const headers: Record<string, string> = { ...extra, 'content-type': type }
    if (encoding !== undefined) headers['content-encoding'] = encoding
    const answer = await post(zipped ? gzipSync(body) : body, headers)
    assertClearRefusal(answer, `Content-Type ${JSON.stringify(type)}, Content-Encoding ${JSON.stringify(encoding)}, ${zipped ? 'gzipped ' : ''}${body.length} bytes`)
  }), { numRuns: 300 })
})

const mismatch = fc.tuple(
  fc.oneof(randomBytes.filter((b) => b.length > 1), randomJson.filter((s) => s.length < 100_000).map((s) => Buffer.from(s))),
  fc.oneof(
    fc.integer({ min: 1, max: 10_000 }).map((k) => (n: number) => String(n + k)), // promises more than it sends
    fc.integer({ min: 1, max: 10_000 }).map((k) => (n: number) => String(Math.max(0, n - k))), // sends more than it promises
    fc.constantFrom('abc', '-1', '1e3', '0x10', '', ' 12', '+5', '99999999999999999999').map((v) => () => v),
    fc.nat({ max: 100 }).map((k) => (n: number) => `${n}\r\nContent-Length: ${n + k + 1}`), // two different lengths
  ),
  fc.boolean(),
)
const rawHead = (length: string, chunked = false): string =>
  `POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ingest}\r\nContent-Type: application/json\r\n` +
  `Content-Length: ${length}\r\n${chunked ? 'Transfer-Encoding: chunked\r\n' : ''}Connection: close\r\n\r\n`

test('Content-Length mismatches are answered with a 4xx at once, never left hanging', async () => {
  await fc.assert(fc.asyncProperty(mismatch, async ([body, length, chunked]) => {
    const { status, raw } = await rawRequest(c.port, rawHead(length(body.length), chunked), body, ANSWER_MS)
    requests++
    assert.ok(status >= 400 && status < 500, `expected a 4xx, saw ${JSON.stringify(raw.slice(0, 300))}`)
  }), { numRuns: 200 })
})

test('Content-Length mismatches are answered in the collector\'s error format', async () => {
  await fc.assert(fc.asyncProperty(mismatch, async ([body, length, chunked]) => {
    const { raw } = await rawRequest(c.port, rawHead(length(body.length), chunked), body, ANSWER_MS)
    const json = raw.slice(raw.indexOf('\r\n\r\n') + 4)
    assert.match(json, /"code":"TT_ERR_[A-Z_]+"/, `expected {"error":{"code":"TT_ERR_…"}}, saw ${JSON.stringify(raw.slice(0, 300))}`)
  }), { numRuns: 20 })
})

test('objects nested thousands deep inside data are refused with a 4xx, not a 500', async () => {
  await fc.assert(fc.asyncProperty(fc.integer({ min: 11_000, max: 200_000 }), fc.constantFrom('data', 'metadata'), async (depth, field) => {
    // Over 64 KiB of canonical JSON at any depth here: refused whatever a fix does about depth.
    const inner = '{"k":'.repeat(depth) + '1' + '}'.repeat(depth)
    const body = `[{"project":"${PROJECT}","message":"deep","${field}":${inner}}]`
    assertClearRefusal(await post(body, { 'content-type': 'application/json' }), `${field} nested ${depth} deep`)
  }), { numRuns: 10 })
})

// ---------------------------------------------------------------------------------------------
// Query strings: a mix of good parameters and at least one bad one, in any order.

type Pair = readonly [string, string]
const bad = {
  limit: fc.oneof(fc.constantFrom('0', '1001', '-1', '1.5', '1e2', '', ' 5', '0x10', '99999999999999999'), text(8).filter((s) => !/^\d{1,16}$/.test(s) || Number(s) < 1 || Number(s) > 1000)),
  severity: text(12).filter((s) => !(SEVERITIES as readonly string[]).includes(s)),
  since: text(24).filter((s) => parseTimeBound(s, Date.now()) === undefined),
  until: text(24).filter((s) => parseTimeBound(s, Date.now()) === undefined),
  after_seq: text(20).filter((s) => !/^\d{1,16}$/.test(s)),
  before_seq: fc.oneof(fc.constant('0'), text(20).filter((s) => !/^\d{1,16}$/.test(s))),
  project: text(70).filter((s) => !PROJECT_RE.test(s)),
  type: text(70).filter((s) => !TYPE_RE.test(s)),
  q: fc.integer({ min: 1001, max: 3000 }).map((n) => 'q'.repeat(n)),
  cursor: text(20).filter((s) => !/^([ab])(\d{1,16})$/.test(s)),
  order: text(8).filter((s) => s !== 'asc' && s !== 'desc'),
  format: text(8).filter((s) => s !== 'csv' && s !== 'jsonl'),
}
const ENDPOINT_PARAMS = {
  '/v1/events': ['project', 'type', 'severity', 'source', 'since', 'until', 'q', 'after_seq', 'limit', 'order', 'before_seq', 'cursor'],
  '/v1/export': ['project', 'type', 'severity', 'source', 'since', 'until', 'q', 'after_seq', 'format'],
} as const
const GOOD: Record<string, string> = {
  project: PROJECT, type: 'test', severity: 'info', source: 'fuzz', since: '2020-01-01', until: '2100-01-01T00:00:00Z', q: 'valid',
  after_seq: '0', limit: '5', order: 'asc', format: 'jsonl',
}

function badQuery(path: keyof typeof ENDPOINT_PARAMS): fc.Arbitrary<string> {
  const known: readonly string[] = ENDPOINT_PARAMS[path]
  const badPair: fc.Arbitrary<Pair[]> = fc.oneof(
    // A parameter the endpoint does not have (every other endpoint's and random ones).
    fc.tuple(fc.oneof(text(20), fc.constantFrom('limit', 'order', 'cursor', 'before_seq', 'format', 'token', '__proto__', '', 'Project', 'limit[]')).filter((k) => !known.includes(k)), text(20)).map((p) => [p]),
    // A known one given twice.
    fc.constantFrom(...known.filter((k) => GOOD[k] !== undefined)).map((k): Pair[] => [[k, GOOD[k]!], [k, GOOD[k]!]]),
    // A known one with a bad value.
    fc.constantFrom(...known.filter((k) => k in bad)).chain((k) => bad[k as keyof typeof bad].map((v): Pair[] => [[k, v]])),
  )
  const good = fc.subarray(known.filter((k) => GOOD[k] !== undefined).map((k): Pair => [k, GOOD[k]!]))
  return fc.tuple(good, fc.array(badPair, { minLength: 1, maxLength: 3 }), fc.option(fc.constantFrom('&', '&&', '&=', '&%', '&%zz', '&;x=1', '&+', '&=&'), { nil: '' }))
    .chain(([g, b, garbage]) => {
      // Every bad pair keeps its key unique among the good ones, so a good value cannot mask it.
      const badKeys = new Set(b.flat().map(([k]) => k))
      const pairs = [...g.filter(([k]) => !badKeys.has(k)), ...b.flat()]
      return fc.shuffledSubarray(pairs, { minLength: pairs.length, maxLength: pairs.length }).map((shuffled) =>
        shuffled.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&') + garbage)
    })
}

for (const path of ['/v1/events', '/v1/export'] as const) {
  test(`random query strings on GET ${path} with a bad parameter are refused with a TT_ERR code`, async () => {
    await fc.assert(fc.asyncProperty(badQuery(path), async (query) => {
      const answer = await http(c.url, `${path}?${query}`, { token: admin, timeoutMs: ANSWER_MS })
      const error = assertClearRefusal(answer, `GET ${path}?${query.slice(0, 200)}`)
      assert.equal(answer.status, 400, describeAnswer(answer))
      assert.ok(['TT_ERR_QUERY_INVALID', 'TT_ERR_BODY_INVALID'].includes(error.code), describeAnswer(answer))
    }), { numRuns: 400 })
  })
}

// ---------------------------------------------------------------------------------------------
// Path parameters: GET /v1/events/:id and DELETE /v1/tokens/:id with anything in the id.

const segment = (min: number, max: number) => text(max).map(encodeURIComponent).filter((s) => s.length >= min && s.length <= max)
const byId = (seg: string) => fc.constantFrom(`GET /v1/events/${seg}`, `DELETE /v1/tokens/${seg}`)

test('random ids in the path are refused with a TT_ERR code', async () => {
  await fc.assert(fc.asyncProperty(segment(1, 100).chain(byId), async (request) => {
    const [method, path] = request.split(' ') as [string, string]
    const answer = await http(c.url, path, { method, token: admin, timeoutMs: ANSWER_MS })
    assertClearRefusal(answer, request)
  }), { numRuns: 300 })
})

test('long or badly escaped ids in the path are refused in the collector\'s error format', async () => {
  const broken = fc.oneof(segment(101, 3000), fc.tuple(segment(0, 20), fc.constantFrom('%', '%Z', '%ZZ', '%E0%A4', '%C0%AF')).map(([s, bad]) => s + bad))
  await fc.assert(fc.asyncProperty(broken.chain(byId), async (request) => {
    const [method, path] = request.split(' ') as [string, string]
    assertClearRefusal(await http(c.url, path, { method, token: admin, timeoutMs: ANSWER_MS }), request.slice(0, 200))
  }), { numRuns: 20 })
})

test('thousands of malformed requests were sent', () => {
  assert.ok(requests >= 2000, `sent ${requests} fuzzed requests`)
})
