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
 *
 * A configured rule's alert is told once its wait window ends, counting the matches in it; then,
 * while nobody acknowledges or resolves it, again every `repeatMs`, and to the escalation route
 * `escalate.afterMs` after it was first told (the timers look at the stored alert when they fire,
 * so an acknowledgement made anywhere stops them). Every message passes the channel gates
 * (quiet hours, rate limit) on its way to the outbox. Windows and timers live in memory: a
 * restart re-arms them from the unresolved alerts of configured rules.
 */
import { randomBytes } from 'node:crypto'
import type { Alert, AlertDraft, AlertState, AlertStore, Clock, CursorStore, Feed, FeedEvent, FeedSubscription, Notification, OutboxStore, Raised, Timer } from '@tradetrail/core'
import { formatDuration, formatMicros, timestampMicros } from '@tradetrail/core'
import { DEFAULT_RULES, type Rule } from './alert-rules.ts'
import { ChannelGates, type GateConfig, type Outgoing } from './channel-gate.ts'
import { NO_NOTIFY_SECTION } from './rule-config.ts'

export const ALERTS_CURSOR = 'notify:alerts'

export interface AlertEngineOptions {
  feed: Feed
  cursors: CursorStore
  alerts: AlertStore
  outbox: OutboxStore
  /** The channels of the default route, by name. */
  channels: readonly string[]
  clock: Clock
  /** Default: DEFAULT_RULES. */
  rules?: readonly Rule[]
  /** Quiet hours and the rate limit per channel (default: neither). */
  gates?: GateConfig
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
  readonly #gates: ChannelGates
  readonly #timers = new Set<Timer>()
  readonly #work = new Set<Promise<void>>()
  #subscription: FeedSubscription | undefined
  #cursor = 0
  #recorded = 0
  #recordedAtMicros = 0

  private constructor(options: AlertEngineOptions) {
    this.#options = options
    this.#rules = options.rules ?? DEFAULT_RULES
    this.#gates = new ChannelGates(options.gates ?? NO_NOTIFY_SECTION, options.clock, (entries, at) => this.#track(() => this.#queue(entries, at)))
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
    await engine.#rearm()
    engine.#subscription = options.feed.follow(cursor, (events) => engine.#consume(events), { onError: options.onError })
    return engine
  }

  /** Raises an alert for a condition that is no event (a failed commit), and queues its notifications. */
  raise(draft: AlertDraft): Promise<Raised> {
    return this.#raise(draft, undefined)
  }

  /** Waits for the timed work in progress (a window's message, a repeat, a release of held messages). */
  async idle(): Promise<void> {
    while (this.#work.size > 0) await Promise.all(this.#work)
  }

  async #raise(draft: AlertDraft, rule: Rule | undefined): Promise<Raised> {
    const raised = await this.#options.alerts.raise(draft, randomBytes(6).toString('hex'), formatMicros(this.#options.clock.nowMicros()))
    this.#options.onRaised?.(raised)
    // A replayed event whose alert it opened: its notifications may not have been queued before the restart.
    if (raised.outcome === 'opened' || (raised.outcome === 'seen' && draft.seq !== null && raised.alert.seq === draft.seq)) await this.#opened(raised.alert, rule)
    return raised
  }

  /** Stops following the feed and records how far it got. */
  async close(): Promise<void> {
    this.#subscription?.close()
    for (const timer of this.#timers) timer.cancel()
    this.#gates.close()
    await this.idle()
    if (this.#cursor > this.#recorded) await this.#options.cursors.setCursor(ALERTS_CURSOR, this.#cursor)
  }

  async #consume(events: readonly FeedEvent[]): Promise<void> {
    let raised = false
    for (const event of events) {
      for (const rule of this.#rules) {
        const draft = rule.draft(event)
        if (draft === undefined) continue
        await this.#raise(draft, rule)
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

  /** A new alert: told at once, or when the rule's wait window ends; then repeated and escalated. */
  async #opened(alert: Alert, rule: Rule | undefined, waitLeftMs = rule?.waitMs ?? 0): Promise<void> {
    const now = this.#options.clock.nowMicros()
    if (waitLeftMs <= 0) {
      this.#follow(alert.id, rule, now)
      await this.#tell(alert, '', alertNotification(alert), rule?.route, now)
    } else {
      this.#at(now + waitLeftMs * 1000, alert.id, ['open', 'acknowledged'], (current, at) => this.#tell(current, '', grouped(current, rule!.waitMs!), rule!.route, at),
        (at) => this.#follow(alert.id, rule, at))
    }
  }

  /** Arms the repeats and the escalation of an alert first told at `toldMicros`, those still to come. */
  #follow(id: string, rule: Rule | undefined, toldMicros: number): void {
    const { repeatMs, escalate } = rule ?? {}
    const now = this.#options.clock.nowMicros()
    if (escalate !== undefined && toldMicros + escalate.afterMs * 1000 > now) {
      this.#at(toldMicros + escalate.afterMs * 1000, id, ['open'], (alert, at) =>
        this.#tell(alert, '-escalated', { ...alertNotification(alert), title: `Escalated, not acknowledged in ${formatDuration(escalate.afterMs)}: ${alert.title}` }, escalate.route, at))
    }
    if (repeatMs !== undefined) {
      const both = escalate === undefined ? rule!.route : [...new Set([...rule!.route!, ...escalate.route])]
      // Each repeat arms the next as it fires; the next is cancelled when the alert turns out acknowledged or resolved.
      const repeat = (n: number): Timer => {
        let next: Timer | undefined
        return this.#at(toldMicros + n * repeatMs * 1000, id, ['open'], (alert, at) => {
          const notification = { ...alertNotification(alert), title: `Still open after ${formatDuration(n * repeatMs)}: ${alert.title}` }
          return this.#tell(alert, `-repeat${n}`, notification, escalate !== undefined && n * repeatMs >= escalate.afterMs ? both : rule!.route, at)
        }, () => { next = repeat(n + 1) }, () => next?.cancel())
      }
      repeat(Math.floor((now - toldMicros) / 1000 / repeatMs) + 1)
    }
  }

  /**
   * At `dueMicros`: `armed` (at once, with the time, so that what it arms counts from then), then `fn` with
   * the stored alert and that time if the alert is in one of `states`, else `passed`.
   */
  #at(dueMicros: number, id: string, states: readonly AlertState[], fn: (alert: Alert, at: number) => Promise<void>,
    armed?: (at: number) => void, passed?: () => void): Timer {
    const timer = this.#options.clock.setTimer((dueMicros - this.#options.clock.nowMicros()) / 1000, () => {
      this.#timers.delete(timer)
      const at = this.#options.clock.nowMicros()
      armed?.(at)
      this.#track(async () => {
        const alert = await this.#options.alerts.findAlert(id)
        if (alert !== undefined && states.includes(alert.state)) await fn(alert, at)
        else passed?.()
      })
    })
    this.#timers.add(timer)
    return timer
  }

  /** After a restart: the windows, repeats and escalations of the unresolved alerts of configured rules. */
  async #rearm(): Promise<void> {
    const rules = new Map(this.#rules.filter((r) => r.route !== undefined).map((r) => [r.name, r]))
    if (rules.size === 0) return
    const now = this.#options.clock.nowMicros()
    for (const alert of await this.#options.alerts.listAlerts({ states: ['open', 'acknowledged'], limit: 10_000 })) {
      const rule = rules.get(alert.rule)
      if (rule === undefined) continue
      const told = timestampMicros(alert.opened_at) + (rule.waitMs ?? 0) * 1000
      // The outbox keeps each key once: a message queued before the restart is not queued again.
      if (told > now) await this.#opened(alert, rule, (told - now) / 1000)
      else this.#follow(alert.id, rule, told)
    }
  }

  /** Queues `notification` about `alert` for each channel of `route` (default: every channel), through the gates. */
  async #tell(alert: Alert, occasion: string, notification: Notification, route: readonly string[] | undefined, at: number): Promise<void> {
    const channels = route === undefined ? this.#options.channels : route.filter((c) => this.#options.channels.includes(c))
    await this.#queue(this.#gates.admit(channels.map((channel) => ({ key: `alert-${alert.id}${occasion}-${channel}`, channel, notification })), at), at)
  }

  async #queue(entries: readonly Outgoing[], at: number): Promise<void> {
    if (entries.length === 0) return
    const created_at = formatMicros(at)
    const added = await this.#options.outbox.enqueue(entries.map((e) => ({ ...e, created_at })))
    if (added > 0) this.#options.onEnqueued?.()
  }

  #track(work: () => Promise<void>): void {
    const done: Promise<void> = work().catch((error) => this.#options.onError?.(error)).finally(() => this.#work.delete(done))
    this.#work.add(done)
  }
}

/** The message of a rule's wait window: the alert, counting the matches it gathered. */
function grouped(alert: Alert, waitMs: number): Notification {
  const notification = alertNotification(alert)
  if (alert.count === 1) return notification
  return { ...notification, title: `${alert.title} (${alert.count} matches in ${formatDuration(waitMs)})`, fields: [...notification.fields, ['Matches', String(alert.count)]] }
}
