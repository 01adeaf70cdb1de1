/**
 * The wait before the next attempt to reach the collector: the cap doubles from initialMs up
 * to maxMs, the wait is in the cap's upper half, and a longer Retry-After wins (within bounds).
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { retryDelayMs } from '../../src/retry-delay.ts'

const POLICY = { initialMs: 100, maxMs: 30_000 }
const LOW = () => 0
const MID = () => 0.5
const HIGH = () => 0.999_999

describe('retryDelayMs', () => {
  test('the cap doubles from initialMs and the wait spans its upper half', () => {
    //              attempt: cap        random 0  0.5     0.999999
    const expected: Array<[number, number, number, number, number]> = [
      [0, 100, 50, 75, 100],
      [1, 200, 100, 150, 200],
      [2, 400, 200, 300, 400],
      [3, 800, 400, 600, 800],
      [5, 3200, 1600, 2400, 3200],
      [8, 25_600, 12_800, 19_200, 25_600],
    ]
    for (const [attempt, cap, low, mid, high] of expected) {
      assert.equal(retryDelayMs(attempt, POLICY, LOW), low, `attempt ${attempt}, random 0`)
      assert.equal(retryDelayMs(attempt, POLICY, MID), mid, `attempt ${attempt}, random 0.5`)
      assert.equal(retryDelayMs(attempt, POLICY, HIGH), high, `attempt ${attempt}, random just below 1`)
      assert.equal(low, cap / 2)
    }
  })

  test('the cap never passes maxMs', () => {
    for (const attempt of [9, 10, 20, 30]) {
      assert.equal(retryDelayMs(attempt, POLICY, LOW), 15_000, `attempt ${attempt}`)
      assert.equal(retryDelayMs(attempt, POLICY, MID), 22_500, `attempt ${attempt}`)
      assert.equal(retryDelayMs(attempt, POLICY, HIGH), 30_000, `attempt ${attempt}`)
    }
    // An initial cap above the maximum is held to the maximum from the first attempt.
    assert.equal(retryDelayMs(0, { initialMs: 5000, maxMs: 1000 }, HIGH), 1000)
  })

  test('huge attempt numbers do not overflow', () => {
    for (const attempt of [31, 1024, 1e9, Number.MAX_SAFE_INTEGER, Infinity]) {
      assert.equal(retryDelayMs(attempt, POLICY, LOW), 15_000, `attempt ${attempt}`)
      assert.equal(retryDelayMs(attempt, POLICY, HIGH), 30_000, `attempt ${attempt}`)
    }
    // The largest policy the options allow.
    assert.equal(retryDelayMs(1e9, { initialMs: 600_000, maxMs: 3_600_000 }, LOW), 1_800_000)
  })

  test('a longer Retry-After is honoured, up to four times maxMs; a shorter one changes nothing', () => {
    assert.equal(retryDelayMs(0, POLICY, LOW, 5000), 5000)
    assert.equal(retryDelayMs(0, POLICY, LOW, 1500.4), 1500)
    assert.equal(retryDelayMs(0, POLICY, HIGH, 60), 100, 'shorter than the backoff')
    assert.equal(retryDelayMs(3, POLICY, MID, 0), 600, 'none given')
    assert.equal(retryDelayMs(0, POLICY, LOW, 3_600_000), 120_000, 'an hour is held to 4 × maxMs')
    assert.equal(retryDelayMs(0, POLICY, LOW, Infinity), 120_000)
  })

  test('Math.random by default', () => {
    for (let i = 0; i < 50; i++) {
      const wait = retryDelayMs(4, POLICY)
      assert.ok(wait >= 800 && wait <= 1600, `${wait} in [800, 1600]`)
    }
  })

  test('property: a whole number of ms in [cap/2, cap], cap = initialMs doubled per attempt up to maxMs', () => {
    fc.assert(fc.property(
      fc.nat(100), fc.integer({ min: 1, max: 600_000 }), fc.integer({ min: 1, max: 3_600_000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (attempt, initialMs, maxMs, r) => {
        let cap = Math.min(initialMs, maxMs)
        for (let i = 0; i < attempt && cap < maxMs; i++) cap = Math.min(maxMs, cap * 2)
        const wait = retryDelayMs(attempt, { initialMs, maxMs }, () => r)
        assert.ok(Number.isInteger(wait), `${wait} is whole`)
        assert.ok(wait >= Math.floor(cap / 2) && wait <= cap, `${wait} in [${cap / 2}, ${cap}]`)
      },
    ))
  })
})
