/** Where time comes from, so that time-dependent logic can be tested exactly. */
export interface Clock {
  /** Microseconds since the Unix epoch. */
  nowMicros(): number
  /**
   * Calls `fn` once, `delayMs` from now (a negative or NaN delay means now, Infinity never).
   * A timer never keeps a Node process alive (the system clock `unref`s it): a collector stays
   * up because its server listens, and a CLI command exits without waiting for tomorrow's run.
   */
  setTimer(delayMs: number, fn: () => void): Timer
}

/** A pending call from {@link Clock.setTimer}. */
export interface Timer {
  /** Stops the call if it has not happened yet; harmless after it has, or twice. */
  cancel(): void
}

let offsetMicros = Date.now() * 1000 - performance.now() * 1000
let lastMicros = 0

/** The longest delay setTimeout takes; beyond it Node fires after 1 ms, so longer timers re-arm. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1

/**
 * The wall clock with microsecond resolution: the monotonic timer plus an offset that is
 * re-synchronised whenever the wall clock moves more than 1 ms away from it (an NTP step),
 * because received_at must be true UTC. It never goes backwards within a process.
 * Its timers are setTimeout's: they count elapsed time, not the wall clock, so a job that
 * must happen at a wall-clock instant checks the time when its timer fires.
 */
export const systemClock: Clock = {
  nowMicros() {
    const mono = performance.now() * 1000
    const wall = Date.now() * 1000
    let now = offsetMicros + mono
    if (Math.abs(now - wall) > 1000) {
      offsetMicros = wall - mono
      now = wall
    }
    now = Math.floor(now)
    if (now < lastMicros) now = lastMicros
    lastMicros = now
    return now
  },

  setTimer(delayMs, fn) {
    let handle: ReturnType<typeof setTimeout>
    const arm = (remainingMs: number): void => {
      const stepMs = Math.min(remainingMs, MAX_TIMEOUT_MS)
      handle = setTimeout(stepMs < remainingMs ? () => arm(remainingMs - stepMs) : fn, stepMs)
      // In browsers the handle is a number and there is nothing to unref.
      handle.unref?.()
    }
    arm(delayMs > 0 ? delayMs : 0)
    return { cancel: () => clearTimeout(handle) }
  },
}

interface ManualTimer {
  dueMicros: number
  fn: () => void
}

/**
 * A clock that moves only when told to. Moving it fires every timer that falls due on the
 * way, in time order (ties in the order they were set), each seeing `nowMicros()` equal to
 * its own due time; timers set by a firing timer fire too if they fall due before the
 * target. If a timer throws, the error leaves `advanceMs`/`setMs` and the clock stays at
 * that timer's due time, with the later timers still pending.
 */
export class ManualClock implements Clock {
  #micros: number
  /** Sorted by due time; equal due times keep the order they were set in. */
  readonly #timers: ManualTimer[] = []

  constructor(startMs = Date.UTC(2025, 0, 1)) { this.#micros = startMs * 1000 }
  nowMicros(): number { return this.#micros }
  advanceMs(ms: number): void { this.#moveTo(this.#micros + Math.round(ms * 1000)) }
  /** Sets the time; setting it back fires nothing. */
  setMs(ms: number): void { this.#moveTo(Math.round(ms * 1000)) }

  setTimer(delayMs: number, fn: () => void): Timer {
    const timer: ManualTimer = { dueMicros: this.#micros + (delayMs > 0 ? Math.round(delayMs * 1000) : 0), fn }
    const timers = this.#timers
    let lo = 0
    let hi = timers.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (timers[mid]!.dueMicros <= timer.dueMicros) lo = mid + 1
      else hi = mid
    }
    timers.splice(lo, 0, timer)
    return {
      cancel: () => {
        const index = timers.indexOf(timer)
        if (index !== -1) timers.splice(index, 1)
      },
    }
  }

  /** How many timers have been set and have neither fired nor been cancelled. */
  pendingTimers(): number { return this.#timers.length }

  #moveTo(targetMicros: number): void {
    for (let next = this.#timers[0]; next !== undefined && next.dueMicros <= targetMicros; next = this.#timers[0]) {
      this.#timers.shift()
      this.#micros = next.dueMicros
      next.fn()
    }
    this.#micros = targetMicros
  }
}

/**
 * The clock report a client sends with each batch (wire format, docs/api.md): its latest
 * estimate of the collector's clock minus its own, in µs (signed)…
 */
export const CLOCK_OFFSET_HEADER = 'Tradetrail-Clock-Offset-Us'
/** …and the round trip of the exchange that estimate came from, in µs (it is good to ± half of it). */
export const CLOCK_RTT_HEADER = 'Tradetrail-Clock-Rtt-Us'
