/** Where time comes from, so that time-dependent logic can be tested exactly. */
export interface Clock {
  /** Microseconds since the Unix epoch. */
  nowMicros(): number
}

let offsetMicros = Date.now() * 1000 - performance.now() * 1000
let lastMicros = 0

/**
 * The wall clock with microsecond resolution: the monotonic timer plus an offset that is
 * re-synchronised whenever the wall clock moves more than 1 ms away from it (an NTP step),
 * because received_at must be true UTC. It never goes backwards within a process.
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
}

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  #micros: number
  constructor(startMs = Date.UTC(2025, 0, 1)) { this.#micros = startMs * 1000 }
  nowMicros(): number { return this.#micros }
  advanceMs(ms: number): void { this.#micros += Math.round(ms * 1000) }
  setMs(ms: number): void { this.#micros = Math.round(ms * 1000) }
}

/**
 * The clock report a client sends with each batch (wire format, docs/api.md): its latest
 * estimate of the collector's clock minus its own, in µs (signed)…
 */
export const CLOCK_OFFSET_HEADER = 'Tradetrail-Clock-Offset-Us'
/** …and the round trip of the exchange that estimate came from, in µs (it is good to ± half of it). */
export const CLOCK_RTT_HEADER = 'Tradetrail-Clock-Rtt-Us'
