import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { formatMicros, formatNanos, millisKey, parseTimeBound, timestampKey, timestampMillis } from '../src/timestamp.ts'

const KEY_SHAPE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/
const MIN_MS = Date.parse('0000-01-01T00:00:00Z')
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z')

test('timestampKey accepts Z, z and ±00:00, and gives one fixed-width form', () => {
  const key = '2025-12-17T21:00:03.000000000Z'
  for (const ts of ['2025-12-17T21:00:03Z', '2025-12-17T21:00:03z', '2025-12-17t21:00:03Z', '2025-12-17T21:00:03+00:00', '2025-12-17T21:00:03-00:00']) {
    assert.equal(timestampKey(ts), key, ts)
  }
})

test('timestampKey accepts 0 to 9 fraction digits and pads them to nanoseconds', () => {
  const digits = '123456789'
  assert.equal(timestampKey('2025-12-17T21:00:03Z'), '2025-12-17T21:00:03.000000000Z')
  for (let n = 1; n <= 9; n++) {
    const key = timestampKey(`2025-12-17T21:00:03.${digits.slice(0, n)}Z`)
    assert.equal(key, `2025-12-17T21:00:03.${digits.slice(0, n).padEnd(9, '0')}Z`)
  }
  assert.equal(timestampKey('2025-12-17T21:00:03.1234567890Z'), undefined, '10 digits')
})

test('timestampKey accepts the calendar\'s edge days', () => {
  for (const ts of ['2000-02-29T00:00:00Z', '2024-02-29T23:59:59.999999999Z', '2025-01-31T00:00:00Z', '2025-04-30T00:00:00Z',
    '2025-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999999Z']) {
    assert.ok(timestampKey(ts) !== undefined, ts)
  }
})

test('timestampKey rejects offsets other than UTC, impossible dates and times, and garbage', () => {
  for (const ts of [
    '2025-12-17T21:00:03+01:00', '2025-12-17T21:00:03-05:00', '2025-12-17T21:00:03+00:30', '2025-12-17T21:00:03+0000', '2025-12-17T21:00:03',
    '2025-02-29T00:00:00Z', '1900-02-29T00:00:00Z', '2100-02-29T00:00:00Z', '2025-04-31T00:00:00Z', '2025-13-01T00:00:00Z', '2025-00-10T00:00:00Z',
    '2025-12-00T00:00:00Z', '2025-12-32T00:00:00Z',
    '2025-12-17T24:00:00Z', '2025-12-17T23:60:00Z', '2016-12-31T23:59:60Z', '2025-12-17T23:59:60.5Z',
    '', 'garbage', 'now', '2025-12-17', '2025-12-17T21:00Z', '2025-12-17 21:00:03Z', '2025-12-17T21:00:03.Z', '2025-12-17T21:00:03 Z',
    ' 2025-12-17T21:00:03Z', '2025-12-17T21:00:03Z ', '2025-12-17T21:00:03Z\n', '25-12-17T21:00:03Z', '+002025-12-17T21:00:03Z',
    '２０２５-12-17T21:00:03Z', '2025-12-17T21:00:03.123Zulu', '2025-1-7T21:00:03Z', '1766005203',
  ]) {
    assert.equal(timestampKey(ts), undefined, JSON.stringify(ts))
  }
})

/** An RFC 3339 UTC spelling of `ms`, chosen by `style`, with 0 to 9 fraction digits. */
function spell(ms: number, style: { fraction: number; zone: string; t: string }): string {
  const iso = new Date(ms).toISOString() // YYYY-MM-DDTHH:MM:SS.mmmZ
  let fraction = iso.slice(20, 23).padEnd(style.fraction, '0').slice(0, Math.max(style.fraction, 3))
  // Fewer than 3 digits only where the dropped digits are zeros, so the time stays the same.
  while (fraction.length > style.fraction && fraction.endsWith('0')) fraction = fraction.slice(0, -1)
  return `${iso.slice(0, 10)}${style.t}${iso.slice(11, 19)}${fraction ? '.' + fraction : ''}${style.zone}`
}
const styleArb = fc.record({ fraction: fc.integer({ min: 0, max: 9 }), zone: fc.constantFrom('Z', 'z', '+00:00', '-00:00'), t: fc.constantFrom('T', 't') })
const msArb = fc.integer({ min: MIN_MS, max: MAX_MS })

test('key order is time order (any spelling, ms-precision times from year 0 to 9999)', () => {
  fc.assert(fc.property(msArb, msArb, styleArb, styleArb, (a, b, sa, sb) => {
    const ka = timestampKey(spell(a, sa)), kb = timestampKey(spell(b, sb))
    assert.ok(ka !== undefined && kb !== undefined, `${spell(a, sa)} ${spell(b, sb)}`)
    assert.match(ka, KEY_SHAPE)
    assert.equal(Math.sign(ka < kb ? -1 : ka > kb ? 1 : 0), Math.sign(a - b))
  }), { numRuns: 1000 })
})

test('key order is time order below the millisecond too', () => {
  const keys = ['2025-12-17T21:00:03Z', '2025-12-17T21:00:03.000000001Z', '2025-12-17T21:00:03.0001Z', '2025-12-17T21:00:03.1Z',
    '2025-12-17T21:00:03.100000001Z', '2025-12-17T21:00:03.12+00:00', '2025-12-17T21:00:03.999999999Z', '2025-12-17T21:00:04z'].map(timestampKey)
  assert.deepEqual([...keys].sort(), keys)
  assert.equal(new Set(keys).size, keys.length)
})

test('timestampMillis reads timestamp keys and every RFC 3339 UTC spelling', () => {
  fc.assert(fc.property(msArb, styleArb, (ms, style) => {
    const ts = spell(ms, style)
    assert.equal(timestampMillis(ts), ms, ts)
    assert.equal(timestampMillis(timestampKey(ts)!), ms)
  }), { numRuns: 500 })
  // Digits past the millisecond are truncated, not rounded.
  assert.equal(timestampMillis('2025-12-17T21:00:03.123999999Z'), Date.UTC(2025, 11, 17, 21, 0, 3, 123))
})

test('millisKey is the key of a time in milliseconds', () => {
  fc.assert(fc.property(msArb, (ms) => {
    assert.equal(millisKey(ms), timestampKey(new Date(ms).toISOString()))
  }), { numRuns: 300 })
})

test('formatMicros writes microseconds and round-trips through the key', () => {
  assert.equal(formatMicros(Date.UTC(2025, 11, 17, 21, 0, 3, 123) * 1000 + 456), '2025-12-17T21:00:03.123456Z')
  assert.equal(formatMicros(0), '1970-01-01T00:00:00.000000Z')
  assert.equal(formatMicros(7), '1970-01-01T00:00:00.000007Z')
  fc.assert(fc.property(fc.integer({ min: 0, max: 8_000_000_000_000_000 }), (micros) => {
    const ts = formatMicros(micros)
    assert.match(ts, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    const key = timestampKey(ts)!
    assert.equal(Date.parse(key.slice(0, 23) + 'Z') * 1000 + Number(key.slice(23, 26)), micros)
    assert.equal(key.slice(26), '000Z')
  }), { numRuns: 500 })
})

test('formatNanos writes nanoseconds and round-trips through the key', () => {
  assert.equal(formatNanos(1_766_005_203_123_456_789n), '2025-12-17T21:00:03.123456789Z')
  assert.equal(formatNanos(0n), '1970-01-01T00:00:00.000000000Z')
  assert.equal(formatNanos(1n), '1970-01-01T00:00:00.000000001Z')
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: BigInt(MAX_MS) * 1_000_000n + 999_999n }), (nanos) => {
    const ts = formatNanos(nanos)
    const key = timestampKey(ts)
    assert.equal(key, ts, 'a nanosecond timestamp is its own key')
    assert.equal(BigInt(Date.parse(ts.slice(0, 19) + 'Z')) * 1_000_000n + BigInt(ts.slice(20, 29)), nanos)
  }), { numRuns: 500 })
})

const NOW = Date.UTC(2025, 11, 17, 21, 0, 3, 123)

test('parseTimeBound: durations ago, from the injected now', () => {
  const cases: Array<[string, string]> = [
    ['0s', '2025-12-17T21:00:03.123000000Z'],
    ['30s', '2025-12-17T20:59:33.123000000Z'],
    ['15m', '2025-12-17T20:45:03.123000000Z'],
    ['2h', '2025-12-17T19:00:03.123000000Z'],
    ['7d', '2025-12-10T21:00:03.123000000Z'],
    ['1w', '2025-12-10T21:00:03.123000000Z'],
    ['400d', '2024-11-12T21:00:03.123000000Z'],
  ]
  for (const [value, key] of cases) assert.equal(parseTimeBound(value, NOW), key, value)
  assert.equal(parseTimeBound('1h', NOW + 3_600_000), millisKey(NOW))
})

test('parseTimeBound: dates mean their midnight UTC; timestamps their key', () => {
  assert.equal(parseTimeBound('2025-12-17', NOW), '2025-12-17T00:00:00.000000000Z')
  assert.equal(parseTimeBound('2024-02-29', NOW), '2024-02-29T00:00:00.000000000Z')
  assert.equal(parseTimeBound('2025-12-17T21:00:03.5+00:00', NOW), '2025-12-17T21:00:03.500000000Z')
  assert.equal(parseTimeBound('2025-12-17T21:00:03.123456789Z', NOW), '2025-12-17T21:00:03.123456789Z')
})

test('parseTimeBound: anything else is undefined', () => {
  for (const value of ['', 'yesterday', '15', 'm', '15x', '15M', '-5m', '+5m', '1.5h', '15 m', ' 15m', '2025-02-30', '2025-02-29', '2025-12-17T21:00:03+01:00', '17.12.2025']) {
    assert.equal(parseTimeBound(value, NOW), undefined, JSON.stringify(value))
  }
})

test('parseTimeBound: a duration beyond the calendar gives undefined or a valid key, never an exception', () => {
  for (const value of ['99999999999d', '300000w', '9'.repeat(30) + 's']) {
    let bound: string | undefined
    assert.doesNotThrow(() => { bound = parseTimeBound(value, NOW) }, value)
    if (bound !== undefined) assert.match(bound, KEY_SHAPE, value)
  }
})
