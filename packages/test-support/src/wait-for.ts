/** Polling with a deadline instead of fixed sleeps: fails saying what was expected and what was seen. */
import { setTimeout as delay } from 'node:timers/promises'
import { inspect } from 'node:util'

export interface WaitForOptions<T> {
  /** What we wait for, completing "expected …". */
  describe: string
  timeoutMs?: number
  intervalMs?: number
  /** How to show the last value seen (default util.inspect, shortened). */
  show?: (value: T) => string
}

/**
 * Samples `sample()` until `done(value)` holds and returns that value. After `timeoutMs`
 * throws `timed out after N ms: expected <describe>, saw <last value>`.
 */
export async function waitFor<T>(sample: () => T | Promise<T>, done: (value: T) => boolean, options: WaitForOptions<T>): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const intervalMs = options.intervalMs ?? 20
  const show = options.show ?? ((v: T) => inspect(v, { depth: 4, maxStringLength: 2000 }))
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  let failure: unknown
  for (;;) {
    try {
      last = await sample()
      failure = undefined
      if (done(last)) return last
    } catch (error) {
      failure = error
    }
    if (Date.now() >= deadline) break
    await delay(intervalMs)
  }
  const saw = failure !== undefined ? `an error: ${(failure as Error).message ?? String(failure)}` : show(last as T)
  throw new Error(`timed out after ${timeoutMs} ms: expected ${options.describe}, saw ${saw}`)
}
