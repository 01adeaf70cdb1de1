import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { UUID_PATTERN } from '../src/event.ts'
import { derivedUuidv7, uuidv7 } from '../src/uuidv7.ts'

const UUIDV7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
/** The 48-bit Unix milliseconds at the front of a UUIDv7. */
const millisOf = (id: string): number => parseInt(id.slice(0, 8) + id.slice(9, 13), 16)
/** The 12 bits after the version nibble. */
const counterOf = (id: string): number => parseInt(id.slice(15, 18), 16)

test('a UUIDv7: lower-case, version 7, RFC 9562 variant, accepted by the event schema', () => {
  const schema = new RegExp(UUID_PATTERN)
  for (let i = 0; i < 1000; i++) {
    const id = uuidv7()
    assert.match(id, UUIDV7)
    assert.match(id, schema)
  }
})

test('the id carries the time it was made', () => {
  const before = Date.now()
  const id = uuidv7()
  const after = Date.now()
  const ms = millisOf(id)
  // An id can run at most one millisecond ahead of the clock per 4096 ids made before it in one millisecond.
  assert.ok(ms >= before && ms <= after + 1, `${ms} not in [${before}, ${after}]`)
})

test('100 000 ids from the real clock increase strictly as strings', () => {
  let prev = uuidv7()
  for (let i = 0; i < 100_000; i++) {
    const id = uuidv7()
    if (!(id > prev)) assert.fail(`${id} after ${prev}`)
    prev = id
  }
})

test('100 000 ids in one millisecond increase strictly: a counter, then the next millisecond is borrowed', () => {
  const t = Date.now() + 60_000 // later than any id made so far in this process
  const ids = Array.from({ length: 100_000 }, () => uuidv7(t))
  for (let k = 0; k < ids.length; k++) {
    const id = ids[k]!
    if (!UUIDV7.test(id)) assert.fail(`id ${k}: ${id} is not a UUIDv7`)
    if (k > 0 && !(id > ids[k - 1]!)) assert.fail(`id ${k}: ${id} after ${ids[k - 1]}`)
    if (millisOf(id) !== t + Math.floor(k / 4096)) assert.fail(`id ${k}: ${id} has time ${millisOf(id)}, expected ${t + Math.floor(k / 4096)}`)
    if (counterOf(id) !== k % 4096) assert.fail(`id ${k}: ${id} has counter ${counterOf(id)}, expected ${k % 4096}`)
  }
  // The random part differs even where time and counter repeat the pattern.
  assert.equal(new Set(ids.map((id) => id.slice(19))).size, ids.length)
})

test('a clock that steps back does not make ids go back', () => {
  const t = Date.now() + 120_000
  const a = uuidv7(t)
  const b = uuidv7(t - 5_000)
  const c = uuidv7(t - 10_000)
  assert.ok(a < b && b < c, `${a} ${b} ${c}`)
  assert.equal(millisOf(b), t)
  assert.ok(uuidv7(t + 1) > c)
  assert.equal(counterOf(uuidv7(t + 2)), 0, 'a new millisecond restarts the counter')
})

test('derivedUuidv7: a known answer', () => {
  const digest = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33])
  assert.equal(derivedUuidv7(0x0190b6a23c4d, digest), '0190b6a2-3c4d-7234-9678-9abcdef01122')
  assert.equal(derivedUuidv7(0, new Uint8Array(10)), '00000000-0000-7000-8000-000000000000')
  assert.equal(derivedUuidv7(0xffffffffffff, new Uint8Array(10).fill(0xff)), 'ffffffff-ffff-7fff-bfff-ffffffffffff')
})

test('derivedUuidv7 is deterministic, carries the time, and depends on the digest', () => {
  const bytes = fc.uint8Array({ minLength: 10, maxLength: 32 })
  const ms = fc.integer({ min: 0, max: 0xffffffffffff })
  fc.assert(fc.property(ms, bytes, bytes, (t, d1, d2) => {
    const id = derivedUuidv7(t, d1)
    assert.match(id, UUIDV7)
    assert.equal(derivedUuidv7(t, Uint8Array.from(d1)), id)
    assert.equal(millisOf(id), t)
    // 74 bits of the digest's first 10 bytes make it in: the low nibble of byte 0, the low 6 bits of byte 2, all of 1 and 3..9.
    const used = (d: Uint8Array): string => [d[0]! & 0x0f, d[1], d[2]! & 0x3f, ...d.slice(3, 10)].join(',')
    assert.equal(derivedUuidv7(t, d2) === id, used(d1) === used(d2))
  }), { numRuns: 500 })
})

test('derivedUuidv7 clamps times outside the 48-bit range', () => {
  const d = new Uint8Array(10)
  assert.equal(millisOf(derivedUuidv7(-5, d)), 0)
  assert.equal(millisOf(derivedUuidv7(2 ** 50, d)), 0xffffffffffff)
})
