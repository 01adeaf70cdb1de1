/** Per-token request rate limits: a token bucket per key, refilled continuously. */
import { type Clock, systemClock } from '@tradetrail/core'

export interface RateLimiterOptions {
  /** Sustained requests per second. */
  perSecond: number
  /** Bucket size: requests allowed at once after a quiet spell. */
  burst: number
  clock?: Clock
  /** Buckets kept at most; the least recently used go first (default 100 000). */
  maxKeys?: number
}

export class RateLimiter {
  readonly #perSecond: number
  readonly #burst: number
  readonly #clock: Clock
  readonly #maxKeys: number
  readonly #buckets = new Map<string, { tokens: number; at: number }>()

  constructor(options: RateLimiterOptions) {
    this.#perSecond = options.perSecond
    this.#burst = options.burst
    this.#clock = options.clock ?? systemClock
    this.#maxKeys = options.maxKeys ?? 100_000
  }

  /** Takes one request from `key`'s bucket: 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const now = this.#clock.nowMicros()
    let bucket = this.#buckets.get(key)
    if (bucket === undefined) {
      if (this.#buckets.size >= this.#maxKeys) this.#buckets.delete(this.#buckets.keys().next().value!)
      bucket = { tokens: this.#burst, at: now }
    } else {
      this.#buckets.delete(key) // re-inserted below: Map order is least recently used first
      bucket.tokens = Math.min(this.#burst, bucket.tokens + ((now - bucket.at) * this.#perSecond) / 1e6)
      bucket.at = now
    }
    this.#buckets.set(key, bucket)
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return 0
    }
    return (1 - bucket.tokens) / this.#perSecond
  }
}
