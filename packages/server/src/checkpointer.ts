/**
 * Decides when to sign a checkpoint of the chain head: every `every` events or every
 * `intervalMs`, whichever comes first. State is read back from the store, so several
 * processes writing one trail (collector and CLI) share the schedule.
 */
import { type Checkpoint, type Clock, type EventStore, formatMicros, systemClock } from '@tradetrail/core'
import type { CheckpointSigner } from './checkpoint-signer.ts'

export interface CheckpointerOptions {
  store: EventStore
  signer: CheckpointSigner
  clock?: Clock
  /** Sign after this many new events (default 10 000). */
  every?: number
  /** Sign when this long has passed since the last checkpoint and there are new events (default 60 s). */
  intervalMs?: number
}

export class Checkpointer {
  readonly #store: EventStore
  readonly #signer: CheckpointSigner
  readonly #clock: Clock
  readonly #every: number
  readonly #intervalMicros: number
  #last: { seq: number; micros: number } | undefined

  constructor(options: CheckpointerOptions) {
    this.#store = options.store
    this.#signer = options.signer
    this.#clock = options.clock ?? systemClock
    this.#every = options.every ?? 10_000
    this.#intervalMicros = (options.intervalMs ?? 60_000) * 1000
  }

  /** Call after each append with the new head seq; signs a checkpoint when one is due. */
  async afterAppend(headSeq: number): Promise<Checkpoint | undefined> {
    const last = await this.#lastCheckpoint()
    if (headSeq <= last.seq) return undefined
    const due = headSeq - last.seq >= this.#every || this.#clock.nowMicros() - last.micros >= this.#intervalMicros
    return due ? this.checkpoint() : undefined
  }

  /** Signs a checkpoint of the current head, unless the head is already checkpointed. */
  async checkpoint(): Promise<Checkpoint | undefined> {
    const head = await this.#store.head()
    const last = await this.#lastCheckpoint()
    if (head.seq === 0 || head.seq <= last.seq) return undefined
    const micros = this.#clock.nowMicros()
    const checkpoint = this.#signer.sign({ seq: head.seq, hash: head.hash.toString('hex'), time: formatMicros(micros) })
    await this.#store.addCheckpoint(checkpoint)
    this.#last = { seq: head.seq, micros }
    return checkpoint
  }

  async #lastCheckpoint(): Promise<{ seq: number; micros: number }> {
    if (this.#last === undefined) {
      const latest = await this.#store.latestCheckpoint()
      this.#last = latest ? { seq: latest.seq, micros: Date.parse(latest.time) * 1000 } : { seq: 0, micros: this.#clock.nowMicros() }
    }
    return this.#last
  }
}
