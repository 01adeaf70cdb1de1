/**
 * Flush bookkeeping: each flush() waits for the sequence number of the last event sent before
 * it; it is done once the oldest event not yet delivered is newer than that.
 */

interface Waiter {
  target: number
  resolve: () => void
}

/** The pending flush() calls of one client. */
export class FlushWaiters {
  readonly #oldestOutstanding: () => number
  #waiters: Waiter[] = []

  /** `oldestOutstanding` gives the sequence number of the oldest event not yet delivered (Infinity when none). */
  constructor(oldestOutstanding: () => number) {
    this.#oldestOutstanding = oldestOutstanding
  }

  /** Whether every event up to sequence number `target` is delivered. */
  done(target: number): boolean {
    return this.#oldestOutstanding() > target
  }

  /**
   * Resolves once every event up to `target` is delivered, or, after `timeoutMs`, once
   * `onTimeout()` (which keeps the rest some other way) has finished. Never rejects.
   */
  wait(target: number, timeoutMs: number, onTimeout: () => Promise<void>): Promise<void> {
    return new Promise((resolve) => {
      const waiter = {
        target,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        void onTimeout().then(resolve)
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }

  /** Resolves the waiters whose events are all delivered (call after each delivery or encoding pass). */
  notify(): void {
    if (this.#waiters.length === 0) return
    const oldest = this.#oldestOutstanding()
    const done = this.#waiters.filter((w) => oldest > w.target)
    if (done.length === 0) return
    this.#waiters = this.#waiters.filter((w) => oldest <= w.target)
    for (const waiter of done) waiter.resolve()
  }
}
