import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ManualClock } from '@tradetrail/core'
import { RateLimiter } from '../../src/collector/rate-limiter.ts'

test('a token bucket per key: burst, then the sustained rate, with the wait to the next request', () => {
  const clock = new ManualClock()
  const limiter = new RateLimiter({ perSecond: 10, burst: 3, clock })
  assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a')], [0, 0, 0])
  assert.equal(limiter.take('a'), 0.1, 'the fourth waits one refill')
  assert.equal(limiter.take('b'), 0, 'keys are independent')
  clock.advanceMs(100)
  assert.equal(limiter.take('a'), 0)
  assert.ok(limiter.take('a') > 0)
  clock.advanceMs(10_000)
  assert.deepEqual([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('a') > 0], [0, 0, 0, true], 'refills only up to the burst')
})

test('forgets the least recently used keys beyond maxKeys', () => {
  const clock = new ManualClock()
  const limiter = new RateLimiter({ perSecond: 1, burst: 1, clock, maxKeys: 2 })
  limiter.take('a')
  limiter.take('b')
  limiter.take('c') // evicts a
  assert.equal(limiter.take('a'), 0, 'a starts with a full bucket again')
  assert.ok(limiter.take('c') > 0, 'c is still remembered')
})
