/**
 * Historical playback: the events of the view's filters in a past range (GET /v1/events, in seq
 * order), replayed into the list and chart as they happened — each after the one before by the
 * difference of their `ts`, divided by the chosen speed. A quiet stretch waits at most
 * MAX_WAIT_MS (src/replay-offsets.ts), so a replay of a night is not a night of nothing. Pause
 * holds the replay.
 */
import type { StoredEvent } from '@tradetrail/core/browser'
import { eventPages } from './api.ts'
import type { EventList } from './event-list.ts'
import type { RateChart } from './rate-chart.ts'
import { replayOffsets } from './replay-offsets.ts'
import { type Filters } from './view.ts'

/** At most this many events are replayed (the first of the range). */
const MAX_EVENTS = 200_000

export class Playback {
  private events: StoredEvent[] = []
  private offsets: number[] = []
  private next = 0
  private startedAt = 0
  private pausedAt: number | undefined
  private timer: ReturnType<typeof setTimeout> | undefined
  private ended = false

  constructor(
    private readonly token: string, private readonly filters: Filters, private readonly speed: number,
    private readonly list: EventList, private readonly chart: RateChart,
    private readonly report: (state: string, text: string) => void,
  ) {}

  /** Fetches the range, then replays it; rejects with the server's refusal of a bad range or filter. */
  async open(): Promise<void> {
    this.list.reset(this.filters.q)
    this.chart.reset()
    this.report('connecting', 'loading the range…')
    for await (const page of eventPages(this.token, { ...this.filters, order: 'asc', after_seq: '0', limit: '1000' })) {
      if (this.ended) return
      this.events.push(...page)
      if (this.events.length >= MAX_EVENTS) break
    }
    this.events.length = Math.min(this.events.length, MAX_EVENTS)
    this.offsets = replayOffsets(this.events, this.speed)
    this.startedAt = performance.now()
    this.tick()
  }

  end(): void {
    this.ended = true
    clearTimeout(this.timer)
  }

  togglePause(): void {
    if (this.ended) return
    if (this.pausedAt === undefined) {
      this.pausedAt = performance.now()
      clearTimeout(this.timer)
      this.show()
    } else {
      this.startedAt += performance.now() - this.pausedAt
      this.pausedAt = undefined
      this.tick()
    }
  }

  get paused(): boolean {
    return this.pausedAt !== undefined
  }

  /** Adds every event now due, then waits for the next. */
  private tick(): void {
    if (this.ended || this.pausedAt !== undefined) return
    const elapsed = performance.now() - this.startedAt
    const from = this.next
    while (this.next < this.events.length && this.offsets[this.next]! <= elapsed) this.next++
    if (this.next > from) {
      const due = this.events.slice(from, this.next)
      this.chart.add(due)
      this.chart.remove(this.list.append(due, MAX_EVENTS))
    }
    this.show()
    if (this.next < this.events.length) this.timer = setTimeout(() => this.tick(), this.offsets[this.next]! - elapsed)
  }

  private show(): void {
    const total = this.events.length
    if (this.next === total) this.report('playback-done', `playback done: ${total} events`)
    else this.report('playback', `playback ${this.next} of ${total} at ${this.speed}×${this.pausedAt === undefined ? '' : ' (paused)'}`)
  }
}
