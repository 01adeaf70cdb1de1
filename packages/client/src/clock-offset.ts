/**
 * NTP-style estimate of how far this machine's clock is from the collector's (PRODUCT.md:
 * CAT wants clocks within 50 ms of UTC). Each acknowledged batch is one exchange: t0 sent
 * and t3 answered on our clock, t1 received and t2 answered on the collector's. As NTP's
 * clock filter does, the sample with the shortest round trip among the recent ones wins,
 * because queueing delay is what makes an offset sample wrong.
 */

export interface ClockSample {
  /** Collector clock minus ours, µs: positive means our clock is behind. */
  offsetUs: number
  /** Round trip minus the collector's own time, µs; the offset is good to ±rtt/2. */
  rttUs: number
}

const WINDOW = 8

export class ClockOffset {
  readonly #samples: ClockSample[] = []

  /** Adds one exchange; all four times are µs since the epoch. */
  add(t0: number, t1: number, t2: number, t3: number): void {
    const rttUs = Math.round((t3 - t0) - (t2 - t1))
    // The collector taking longer than the whole round trip is an inconsistent sample; as the
    // shortest "round trip" it would otherwise be trusted most.
    if (rttUs < 0) return
    const sample = { offsetUs: Math.round(((t1 - t0) + (t2 - t3)) / 2), rttUs }
    this.#samples.push(sample)
    if (this.#samples.length > WINDOW) this.#samples.shift()
  }

  /** The current best estimate, or undefined before the first exchange. */
  best(): ClockSample | undefined {
    let best: ClockSample | undefined
    for (const sample of this.#samples) if (best === undefined || sample.rttUs < best.rttUs) best = sample
    return best
  }
}
