/** How long to wait before the next attempt to reach the collector. */

export interface RetryPolicy {
  /** Cap of the first wait, in ms. */
  initialMs: number
  /** Longest wait, in ms. */
  maxMs: number
}

/**
 * "Equal jitter" backoff: the cap doubles with each failed attempt (0-based) up to maxMs, and
 * the wait is uniformly random in its upper half, so that many bots cut off by the same
 * outage do not come back in lock-step, and none retries in a tight loop. A collector's
 * Retry-After is honoured when it asks for longer.
 */
export function retryDelayMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random, retryAfterMs = 0): number {
  const cap = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30))
  const delay = cap / 2 + random() * (cap / 2)
  return Math.round(Math.max(delay, Math.min(retryAfterMs, policy.maxMs * 4)))
}
