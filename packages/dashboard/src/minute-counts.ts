/**
 * Events per minute by severity, as the rate chart draws them: counts kept per minute (of each
 * event's `ts`) as rows come and go, so a live event costs one increment, not a recount.
 * No DOM here.
 */
import { SEVERITIES, type StoredEvent, severityRank, timestampMillis } from '@tradetrail/core/browser'

/** At most this many minutes (a day) are drawn, the latest; the totals count every row. */
export const MAX_MINUTES = 24 * 60

export class MinuteCounts {
  /** Per minute (its start, in seconds since the epoch): a count per severity, in SEVERITIES order. */
  private readonly minutes = new Map<number, number[]>()
  private readonly totals: number[] = SEVERITIES.map(() => 0)

  add(events: readonly StoredEvent[]): void {
    this.count(events, 1)
  }

  /** Rows that left the view. */
  remove(events: readonly StoredEvent[]): void {
    this.count(events, -1)
  }

  /** uPlot's data: the minutes from the earliest to the latest (at most MAX_MINUTES, empty ones as 0), then one series per severity. */
  data(): number[][] {
    if (this.minutes.size === 0) return [[], ...SEVERITIES.map(() => [])]
    let last = -Infinity
    for (const minute of this.minutes.keys()) last = Math.max(last, minute)
    let first = last
    for (const minute of this.minutes.keys()) if (minute > last - MAX_MINUTES * 60) first = Math.min(first, minute)
    const xs: number[] = []
    const series: number[][] = SEVERITIES.map(() => [])
    for (let minute = first; minute <= last; minute += 60) {
      xs.push(minute)
      const counts = this.minutes.get(minute)
      series.forEach((s, i) => s.push(counts?.[i] ?? 0))
    }
    return [xs, ...series]
  }

  /** How many rows of each severity are counted, the severities with none left out. */
  total(): Array<[string, number]> {
    return SEVERITIES.map((s, i): [string, number] => [s, this.totals[i]!]).filter(([, n]) => n > 0)
  }

  private count(events: readonly StoredEvent[], by: 1 | -1): void {
    for (const e of events) {
      const rank = severityRank(e.severity)
      const minute = Math.floor(timestampMillis(e.ts) / 60_000) * 60
      let counts = this.minutes.get(minute)
      if (counts === undefined) this.minutes.set(minute, (counts = SEVERITIES.map(() => 0)))
      counts[rank]! += by
      this.totals[rank]! += by
      if (by < 0 && counts.every((n) => n === 0)) this.minutes.delete(minute)
    }
  }
}
