/** Where time comes from, so that time-dependent logic can be tested exactly. */
export interface Clock {
  /** Microseconds since the Unix epoch. */
  nowMicros(): number
}

/**
 * The wall clock, with microseconds taken from the monotonic timer: it follows NTP
 * corrections (received_at must be true UTC) at the price of not being monotonic itself.
 */
export const systemClock: Clock = {
  nowMicros: () => Date.now() * 1000 + (Math.floor(performance.now() * 1000) % 1000),
}

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  #micros: number
  constructor(startMs = Date.UTC(2025, 0, 1)) { this.#micros = startMs * 1000 }
  nowMicros(): number { return this.#micros }
  advanceMs(ms: number): void { this.#micros += Math.round(ms * 1000) }
  setMs(ms: number): void { this.#micros = Math.round(ms * 1000) }
}
