/**
 * The NTP-style clock estimate: offset is collector minus local (positive: our clock is behind),
 * good to ±rtt/2 whatever the path's asymmetry, and the best sample is the one with the
 * shortest round trip among the last 8.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fc from 'fast-check'
import { ClockOffset } from '../../src/clock-offset.ts'

const START = 1_767_225_600_000_000 // 2026-01-01T00:00:00Z in µs

/**
 * One exchange as the four clocks would read it: the collector's clock is `collectorAheadUs`
 * ahead of ours, the request takes `upUs` to arrive, the collector holds it `serverUs`, the
 * answer takes `downUs` to come back. Returns [t0, t1, t2, t3].
 */
function exchange(collectorAheadUs: number, upUs: number, serverUs: number, downUs: number, t0 = START): [number, number, number, number] {
  const t1 = t0 + upUs + collectorAheadUs
  const t2 = t1 + serverUs
  const t3 = t0 + upUs + serverUs + downUs
  return [t0, t1, t2, t3]
}

function withSamples(...exchanges: Array<[number, number, number, number]>): ClockOffset {
  const clock = new ClockOffset()
  for (const [t0, t1, t2, t3] of exchanges) clock.add(t0, t1, t2, t3)
  return clock
}

describe('ClockOffset', () => {
  test('no estimate before the first exchange', () => {
    assert.equal(new ClockOffset().best(), undefined)
  })

  test('same clocks, symmetric delays: offset 0, rtt excludes the collector\'s own time', () => {
    assert.deepEqual(withSamples(exchange(0, 400, 250, 400)).best(), { offsetUs: 0, rttUs: 800 })
  })

  test('our clock behind the collector gives a positive offset, ahead a negative one', () => {
    assert.deepEqual(withSamples(exchange(2_000, 500, 100, 500)).best(), { offsetUs: 2_000, rttUs: 1_000 })
    assert.deepEqual(withSamples(exchange(-3_000, 500, 100, 500)).best(), { offsetUs: -3_000, rttUs: 1_000 })
    // Larger than the round trip, as a badly set clock would be.
    assert.deepEqual(withSamples(exchange(-75_000_000, 1_200, 30, 1_200)).best(), { offsetUs: -75_000_000, rttUs: 2_400 })
  })

  test('asymmetric delays shift the estimate by half the difference, never beyond rtt/2', () => {
    // Everything on the way out: the worst case, exactly rtt/2 off.
    assert.deepEqual(withSamples(exchange(1_000, 800, 0, 0)).best(), { offsetUs: 1_400, rttUs: 800 })
    assert.deepEqual(withSamples(exchange(1_000, 0, 0, 800)).best(), { offsetUs: 600, rttUs: 800 })
    assert.deepEqual(withSamples(exchange(1_000, 300, 50, 100)).best(), { offsetUs: 1_100, rttUs: 400 })
  })

  test('property: |estimate − true offset| ≤ rtt/2 (+0.5 µs of rounding)', () => {
    const us = fc.integer({ min: 0, max: 5_000_000 })
    fc.assert(fc.property(fc.integer({ min: -3_600_000_000, max: 3_600_000_000 }), us, us, us, (ahead, up, server, down) => {
      const best = withSamples(exchange(ahead, up, server, down)).best()!
      assert.equal(best.rttUs, up + down)
      assert.ok(Math.abs(best.offsetUs - ahead) <= best.rttUs / 2 + 0.5, `${JSON.stringify(best)} vs ${ahead}`)
    }))
  })

  test('the best sample is the shortest round trip among the last 8', () => {
    const rtts = [900, 500, 700, 300, 800, 600, 400, 1_000]
    // Each sample has its own offset (= its rtt + 7), so the winner is recognisable.
    const clock = withSamples(...rtts.map((rtt, i) => exchange(rtt + 7, rtt / 2, 10, rtt / 2, START + i * 1_000_000)))
    assert.deepEqual(clock.best(), { offsetUs: 307, rttUs: 300 })

    // The 300 µs sample is the 4th: it stays through 3 more slow samples and goes with the 4th.
    const slow = (i: number): [number, number, number, number] => exchange(-5, 5_000, 10, 5_000, START + (8 + i) * 1_000_000)
    for (let i = 0; i < 3; i++) {
      clock.add(...slow(i))
      assert.deepEqual(clock.best(), { offsetUs: 307, rttUs: 300 }, `after ${i + 1} slow samples`)
    }
    clock.add(...slow(3))
    assert.deepEqual(clock.best(), { offsetUs: 407, rttUs: 400 }, 'the next best of the last 8')
  })

  test('a sample is forgotten after 8 more, however good it was', () => {
    const clock = withSamples(exchange(42, 0, 10, 0))
    assert.deepEqual(clock.best(), { offsetUs: 42, rttUs: 0 })
    for (let i = 1; i <= 7; i++) {
      clock.add(...exchange(-1_000, 2_000, 10, 2_000, START + i * 1_000_000))
      assert.deepEqual(clock.best(), { offsetUs: 42, rttUs: 0 }, `after ${i} more`)
    }
    clock.add(...exchange(-2_000, 3_000, 10, 3_000, START + 8_000_000))
    assert.deepEqual(clock.best(), { offsetUs: -1_000, rttUs: 4_000 }, 'after 8 more')
  })

  test('an inconsistent exchange (the collector held it longer than the whole round trip) is ignored', () => {
    const clock = withSamples(exchange(1_000, 500, 100, 500))
    clock.add(START, START + 10, START + 5_000, START + 1_000) // t2 − t1 = 4,990 µs > t3 − t0 = 1,000 µs
    assert.deepEqual(clock.best(), { offsetUs: 1_000, rttUs: 1_000 })
  })
})
