/**
 * Sends what waits in the outbox, each channel on its own: in the order it was queued, one at a
 * time, until the channel takes it. A failure waits about 1 s, 2 s, 4 s, … up to `retryMaxMs`
 * (each delay between half and all of that, at random, so that collectors restarted together do
 * not retry in step), on the injected clock; the entries behind it wait with it. The next attempt
 * is stored with the entry, so a restart keeps the backoff. Entries queued by another process
 * are found every `pollMs`.
 */
import { type Clock, type OutboxEntry, type OutboxStore, type Timer, formatMicros, timestampMicros } from '@tradetrail/core'
import { SerialRun } from '../serial-run.ts'
import type { Notifier } from './notifier.ts'

export interface OutboxDeliveryOptions {
  outbox: OutboxStore
  channels: readonly Notifier[]
  clock: Clock
  retryMaxMs: number
  /** First retry delay before jitter (default 1 s). */
  retryMs?: number
  /** The jitter's source, in [0, 1) (default Math.random). */
  random?: () => number
  /** How often to look for entries queued by other processes (default 5 s). */
  pollMs?: number
  onDelivered?: (channel: Notifier, entry: OutboxEntry) => void
  /** A failed attempt and when the next is due. */
  onFailure?: (channel: Notifier, error: unknown, retryInMs: number) => void
}

/** Entries read per step: a channel down for a day catches up in bounded memory. */
const BATCH = 50

class ChannelState {
  timer: Timer | undefined
  constructor(readonly notifier: Notifier, readonly sender: SerialRun) {}
}

export class OutboxDelivery {
  readonly #options: OutboxDeliveryOptions
  readonly #states: ChannelState[]
  #poll: Timer | undefined
  #started = false
  #closed = false

  constructor(options: OutboxDeliveryOptions) {
    this.#options = options
    this.#states = options.channels.map((c) => {
      const state: ChannelState = new ChannelState(c, new SerialRun(async () => {
        try {
          await this.#sendDue(state)
        } catch (error) {
          // The outbox itself failed (a busy store): the poll tries again.
          this.#options.onFailure?.(c, error, this.#options.pollMs ?? 5000)
        }
      }, () => !this.#closed))
      return state
    })
  }

  /** Sends what is due now, then whenever nudged, when a backoff ends, and every `pollMs`. */
  start(): void {
    if (this.#started || this.#closed) return
    this.#started = true
    const pollMs = this.#options.pollMs ?? 5000
    const tick = (): void => {
      this.#poll = this.#options.clock.setTimer(pollMs, tick)
      this.nudge()
    }
    this.#poll = this.#options.clock.setTimer(pollMs, tick)
    this.nudge()
  }

  /** Something was queued: send it, on every channel not waiting out a backoff. */
  nudge(): void {
    if (!this.#started || this.#closed) return
    for (const state of this.#states) void this.#run(state)
  }

  /** Stops the timers and waits for the attempts in progress; what waits stays in the outbox. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#poll?.cancel()
    for (const state of this.#states) state.timer?.cancel()
    await Promise.all(this.#states.map((s) => s.sender.running))
    for (const state of this.#states) state.notifier.close()
  }

  /** The delay before attempt `failures + 1`: exponential, capped, with jitter. */
  delayMs(failures: number): number {
    const ceiling = Math.min(this.#options.retryMaxMs, (this.#options.retryMs ?? 1000) * 2 ** Math.min(failures - 1, 30))
    return Math.round(ceiling / 2 + (this.#options.random ?? Math.random)() * ceiling / 2)
  }

  #run(state: ChannelState): Promise<void> {
    return state.sender.run()
  }

  async #sendDue(state: ChannelState): Promise<void> {
    const { outbox, clock } = this.#options
    const channel = state.notifier
    for (let batch = await outbox.undelivered(channel.name, BATCH); batch.length > 0 && !this.#closed; batch = await outbox.undelivered(channel.name, BATCH)) {
      for (const entry of batch) {
        if (this.#closed) return
        const waitMs = (timestampMicros(entry.next_attempt_at) - clock.nowMicros()) / 1000
        if (waitMs > 0) return this.#wake(state, waitMs)
        try {
          await channel.send(entry.notification, entry.key)
        } catch (error) {
          const retryInMs = this.delayMs(entry.attempts + 1)
          const e = error as { code?: string; message?: string }
          await outbox.markFailed(entry.key, `${e.code ?? 'error'}: ${e.message ?? String(error)}`, formatMicros(clock.nowMicros() + retryInMs * 1000))
          this.#options.onFailure?.(channel, error, retryInMs)
          return this.#wake(state, retryInMs)
        }
        await outbox.markDelivered(entry.key, formatMicros(clock.nowMicros()))
        this.#options.onDelivered?.(channel, entry)
      }
    }
  }

  #wake(state: ChannelState, afterMs: number): void {
    state.timer?.cancel()
    if (!this.#closed) state.timer = this.#options.clock.setTimer(afterMs, () => void this.#run(state))
  }
}
