/**
 * What holds notifications back before the outbox, per channel: quiet hours in a configured time
 * zone (critical ones still pass) and a rate limit (at most `messages` per `per`, counted in fixed
 * windows from the first message; critical ones pass and count). What is held goes out when the
 * quiet hours or the window end: itself when it is alone, else one message that lists them.
 * Held notifications live in memory: a restart drops those not yet let through.
 */
import { type Clock, type Notification, type Timer, formatDuration, severityRank } from '@tradetrail/core'
import type { NotifySection } from './rule-config.ts'

/** A notification for one channel, under its idempotency key. */
export interface Outgoing {
  key: string
  channel: string
  notification: Notification
}

export type GateConfig = Pick<NotifySection, 'timeZone' | 'quietHours' | 'rateLimit'>

class ChannelState {
  windowStartMs = -Infinity
  sent = 0
  held: Outgoing[] = []
  why = ''
  timer: Timer | undefined
}

const DAY_MINUTES = 1440
const hhmm = (minutes: number): string => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`

export class ChannelGates {
  readonly #config: GateConfig
  readonly #clock: Clock
  readonly #release: (entries: Outgoing[], atMicros: number) => void
  readonly #states = new Map<string, ChannelState>()
  readonly #local: Intl.DateTimeFormat

  /** `release` receives what is let through after being held. */
  constructor(config: GateConfig, clock: Clock, release: (entries: Outgoing[], atMicros: number) => void) {
    this.#config = config
    this.#clock = clock
    this.#release = release
    this.#local = new Intl.DateTimeFormat('en-GB', { timeZone: config.timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
  }

  /** What may be queued at `atMicros` (now, or when the timer that sends them fired); the rest is held and released later. */
  admit(entries: readonly Outgoing[], atMicros: number): Outgoing[] {
    const nowMs = atMicros / 1000
    return entries.filter((entry) => {
      const state = this.#state(entry.channel, nowMs)
      const critical = entry.notification.severity === 'critical'
      const quietFor = critical ? undefined : this.#quietRemainingMs(nowMs)
      const { rateLimit } = this.#config
      if (quietFor !== undefined) this.#hold(state, entry, nowMs + quietFor, this.#quietWhy())
      // Behind those held already, in order, released with them.
      else if (!critical && state.held.length > 0) this.#hold(state, entry, nowMs, state.why)
      else if (!critical && rateLimit !== undefined && state.sent >= rateLimit.messages) {
        this.#hold(state, entry, state.windowStartMs + rateLimit.perMs, `by the rate limit (${rateLimit.messages} per ${formatDuration(rateLimit.perMs)})`)
      } else {
        state.sent++
        return true
      }
      return false
    })
  }

  close(): void {
    for (const state of this.#states.values()) state.timer?.cancel()
  }

  #state(channel: string, nowMs: number): ChannelState {
    let state = this.#states.get(channel)
    if (state === undefined) this.#states.set(channel, state = new ChannelState())
    if (this.#config.rateLimit !== undefined && nowMs >= state.windowStartMs + this.#config.rateLimit.perMs) {
      state.windowStartMs = nowMs
      state.sent = 0
    }
    return state
  }

  #hold(state: ChannelState, entry: Outgoing, untilMs: number, why: string): void {
    if (state.held.length === 0) state.why = why
    state.held.push(entry)
    if (state.timer === undefined) state.timer = this.#clock.setTimer(untilMs - this.#clock.nowMicros() / 1000, () => this.#flush(entry.channel, state))
  }

  #flush(channel: string, state: ChannelState): void {
    state.timer = undefined
    const nowMs = this.#clock.nowMicros() / 1000
    // A clock change (DST) can leave the quiet hours later than computed: wait again.
    const quietFor = this.#quietRemainingMs(nowMs)
    if (quietFor !== undefined) {
      state.timer = this.#clock.setTimer(quietFor, () => this.#flush(channel, state))
      return
    }
    this.#state(channel, nowMs)
    const held = state.held
    state.held = []
    state.sent++
    this.#release(held.length === 1 ? held : [heldTogether(channel, held, state.why, nowMs * 1000)], nowMs * 1000)
  }

  #quietWhy(): string {
    const q = this.#config.quietHours!
    return `during quiet hours (${hhmm(q.from)}–${hhmm(q.to)} ${this.#config.timeZone})`
  }

  /** How long the quiet hours last from `nowMs` (to the whole minute they end at), or undefined outside them. */
  #quietRemainingMs(nowMs: number): number | undefined {
    const q = this.#config.quietHours
    if (q === undefined) return undefined
    const parts = this.#local.formatToParts(new Date(nowMs))
    const minute = Number(parts.find((p) => p.type === 'hour')!.value) * 60 + Number(parts.find((p) => p.type === 'minute')!.value)
    const quiet = q.from < q.to ? minute >= q.from && minute < q.to : minute >= q.from || minute < q.to
    if (!quiet) return undefined
    const untilMinute = (q.to - minute + DAY_MINUTES) % DAY_MINUTES
    return Math.floor(nowMs / 60_000) * 60_000 + untilMinute * 60_000 - nowMs
  }
}

/** One message for several held back, at the highest severity among them. */
function heldTogether(channel: string, held: readonly Outgoing[], why: string, nowMicros: number): Outgoing {
  const severity = held.reduce((top, e) => (severityRank(e.notification.severity) > severityRank(top) ? e.notification.severity : top), held[0]!.notification.severity)
  return {
    key: `held-${channel}-${nowMicros}`,
    channel,
    notification: {
      kind: 'alert', severity, title: `${held.length} notifications held back ${why}`,
      text: held.map((e) => `• ${e.notification.severity.toUpperCase()}: ${e.notification.title}`).join('\n'), fields: [], alert_id: null,
    },
  }
}
