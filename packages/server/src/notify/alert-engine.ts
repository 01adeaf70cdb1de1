/**
 * The alert engine: follows the commit feed from its cursor, turns what the rules match into
 * alerts, and puts one notification per channel of the route into the outbox. It never sends:
 * the outbox delivery does, so a slow channel never holds the feed, and the feed never holds
 * ingest (a consumer that falls behind reads its way forward from the store).
 *
 * Restarts: the cursor (`notify:alerts`) is recorded after the alerts of a batch are stored,
 * and at most every `cursorEveryMs` otherwise (each record is a write of the trail's writer).
 * Events after it are looked at again; an event already counted is `seen` by the store, and
 * the outbox keeps each key once, so nothing is raised or sent twice.
 */
import { randomBytes } from 'node:crypto'
import type { Alert, AlertDraft, AlertStore, Clock, CursorStore, Feed, FeedEvent, FeedSubscription, Notification, OutboxStore, Raised } from '@tradetrail/core'
import { formatMicros } from '@tradetrail/core'
import { DEFAULT_RULES, type Rule } from './alert-rules.ts'

export const ALERTS_CURSOR = 'notify:alerts'

export interface AlertEngineOptions {
  feed: Feed
  cursors: CursorStore
  alerts: AlertStore
  outbox: OutboxStore
  /** The channels of the default route, by name. */
  channels: readonly string[]
  clock: Clock
  rules?: readonly Rule[]
  /** Records the cursor at least this often while events pass and none raises an alert (default 5 s). */
  cursorEveryMs?: number
  /** Notifications were put into the outbox: send them. */
  onEnqueued?: () => void
  onRaised?: (raised: Raised) => void
  onError?: (error: unknown) => void
}

/** The notification telling of an alert. */
export function alertNotification(alert: Alert): Notification {
  const fields: Array<[string, string]> = []
  if (alert.project !== null) fields.push(['Project', alert.project])
  if (alert.seq !== null) fields.push(['Seq', String(alert.seq)])
  fields.push(['Rule', alert.rule], ['Alert', alert.id], ['Opened', alert.opened_at])
  return { kind: 'alert', severity: alert.severity, title: alert.title, text: alert.message, fields, alert_id: alert.id }
}

export class AlertEngine {
  readonly #options: AlertEngineOptions
  readonly #rules: readonly Rule[]
  #subscription: FeedSubscription | undefined
  #cursor = 0
  #recorded = 0
  #recordedAtMicros = 0

  private constructor(options: AlertEngineOptions) {
    this.#options = options
    this.#rules = options.rules ?? DEFAULT_RULES
  }

  /**
   * Starts after the recorded cursor; on a trail that has none, after the feed's head (a trail's
   * past raises nothing when notifications first start), recorded at once so a restart keeps it.
   */
  static async start(options: AlertEngineOptions): Promise<AlertEngine> {
    const engine = new AlertEngine(options)
    let cursor = await options.cursors.cursor(ALERTS_CURSOR)
    if (cursor === undefined) {
      cursor = options.feed.head
      await options.cursors.setCursor(ALERTS_CURSOR, cursor)
    }
    engine.#cursor = engine.#recorded = cursor
    engine.#recordedAtMicros = options.clock.nowMicros()
    engine.#subscription = options.feed.follow(cursor, (events) => engine.#consume(events), { onError: options.onError })
    return engine
  }

  /** Raises an alert for a condition that is no event (a failed commit), and queues its notifications. */
  async raise(draft: AlertDraft): Promise<Raised> {
    const raised = await this.#options.alerts.raise(draft, randomBytes(6).toString('hex'), formatMicros(this.#options.clock.nowMicros()))
    this.#options.onRaised?.(raised)
    // A replayed event whose alert it opened: its notifications may not have been queued before the restart.
    if (raised.outcome === 'opened' || (raised.outcome === 'seen' && draft.seq !== null && raised.alert.seq === draft.seq)) await this.#enqueue(raised.alert)
    return raised
  }

  /** Stops following the feed and records how far it got. */
  async close(): Promise<void> {
    this.#subscription?.close()
    if (this.#cursor > this.#recorded) await this.#options.cursors.setCursor(ALERTS_CURSOR, this.#cursor)
  }

  async #consume(events: readonly FeedEvent[]): Promise<void> {
    let raised = false
    for (const event of events) {
      for (const rule of this.#rules) {
        const draft = rule.draft(event)
        if (draft === undefined) continue
        await this.raise(draft)
        raised = true
      }
    }
    this.#cursor = events[events.length - 1]!.seq
    const now = this.#options.clock.nowMicros()
    if (raised || now - this.#recordedAtMicros >= (this.#options.cursorEveryMs ?? 5000) * 1000) {
      await this.#options.cursors.setCursor(ALERTS_CURSOR, this.#cursor)
      this.#recorded = this.#cursor
      this.#recordedAtMicros = now
    }
  }

  async #enqueue(alert: Alert): Promise<void> {
    const { channels, outbox, clock } = this.#options
    if (channels.length === 0) return
    const notification = alertNotification(alert)
    const created_at = formatMicros(clock.nowMicros())
    const added = await outbox.enqueue(channels.map((channel) => ({ key: `alert-${alert.id}-${channel}`, channel, notification, created_at })))
    if (added > 0) this.#options.onEnqueued?.()
  }
}
