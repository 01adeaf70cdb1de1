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
