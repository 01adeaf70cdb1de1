/**
 * Delivery of every signed checkpoint and anchor to the configured witnesses, in the order they
 * were signed, each at least once — exactly once as the witness keeps it (a directory file per
 * record, an idempotency key per POST). Where each witness got to is a cursor in the trail
 * (`witness:<kind>:<where>:<checkpoint|anchor>`), written after the witness took the record,
 * so a restart, a crash or an endpoint down for hours delays records and skips none.
 *
 * A failed delivery is retried after 1 s, 2 s, 4 s, … up to `retryMaxMs`, on the injected clock;
 * meanwhile new records wait behind the failed one. A collector also looks for records other
 * processes signed (a CLI command) every `pollMs`. A CLI command delivers what is pending once,
 * when it closes, and leaves what fails to the collector or the next command.
 */
import { type Anchor, type Clock, type EventStore, type Timer, formatMicros } from '@tradetrail/core'
import { type TradetrailConfig, readSettingFile } from '../config.ts'
import { SerialRun } from '../serial-run.ts'
import { DirectoryWitness } from './directory-witness.ts'
import { HttpWitness } from './http-witness.ts'
import type { WitnessKind, WitnessRecord } from './witness-record.ts'

/** Where records go: a directory or an endpoint. */
export interface WitnessTarget {
  readonly kind: 'directory' | 'http'
  /** The directory or the URL without credentials: names the witness in messages and its cursor. */
  readonly where: string
  /** Resolves once the witness holds the record durably; rejects with a TT_ERR_WITNESS_* error. */
  deliver(record: WitnessRecord): Promise<void>
  close(): void
}

/** One witness as `GET /v1/witnesses` shows it. */
export interface WitnessStatus {
  witness: WitnessTarget['kind']
  where: string
  /** seq of the newest checkpoint and anchor the witness took (0: none yet). */
  delivered: Record<WitnessKind, number>
  /** Signed records the witness does not hold yet. */
  pending: number
  /** Failed attempts since the last delivery. */
  failures: number
  last_error: { code: string; message: string } | null
  last_delivered_at: string | null
  /** When the next attempt is due after a failure, or null. */
  retry_at: string | null
}

export interface WitnessHooks {
  onDelivered?: (witness: WitnessTarget, record: WitnessRecord) => void
  /** A failed attempt; `retryInMs` is undefined when no retry is scheduled (the process is closing). */
  onFailure?: (witness: WitnessTarget, error: unknown, retryInMs: number | undefined) => void
}

export interface WitnessDeliveryOptions extends WitnessHooks {
  store: EventStore
  targets: readonly WitnessTarget[]
  clock: Clock
  retryMaxMs: number
  /** First retry delay (default 1 s). */
  retryMs?: number
  /** How often a started delivery looks for records signed by other processes (default 5 s). */
  pollMs?: number
}

/** Records read per step: a witness that was down for months catches up in bounded memory. */
const BATCH = 200

class WitnessState {
  cursor: Record<WitnessKind, number> | undefined
  failures = 0
  lastError: WitnessStatus['last_error'] = null
  lastDeliveredMicros: number | undefined
  retryAtMicros: number | undefined
  retry: Timer | undefined
  constructor(readonly target: WitnessTarget, readonly deliverer: SerialRun) {}
  cursorName(kind: WitnessKind): string { return `witness:${this.target.kind}:${this.target.where}:${kind}` }
}

export class WitnessDelivery {
  readonly #options: WitnessDeliveryOptions
  readonly #states: WitnessState[]
  readonly #clock: Clock
  #poll: Timer | undefined
  #started = false
  #closed = false

  constructor(options: WitnessDeliveryOptions) {
    this.#options = options
    this.#clock = options.clock
    this.#states = options.targets.map((t) => {
      const state: WitnessState = new WitnessState(t, new SerialRun(() => this.#deliverPending(state), () => !this.#closed && this.#due(state)))
      return state
    })
  }

  /** Delivers what is pending now, then whenever nudged and every `pollMs` (the collector). */
  start(): void {
    if (this.#started || this.#closed) return
    this.#started = true
    const pollMs = this.#options.pollMs ?? 5000
    const tick = (): void => {
      this.#poll = this.#clock.setTimer(pollMs, tick)
      this.nudge()
    }
    this.#poll = this.#clock.setTimer(pollMs, tick)
    this.nudge()
  }

  /** Something was signed: deliver it now, to every witness not waiting for a retry. */
  nudge(): void {
    if (!this.#started || this.#closed) return
    for (const state of this.#states) if (this.#due(state)) void this.#run(state)
  }

  async status(): Promise<WitnessStatus[]> {
    return Promise.all(this.#states.map(async (state) => {
      const cursor = await this.#cursor(state)
      const anchors = (await this.#options.store.anchors()).filter((a) => a.seq > cursor.anchor).length
      const at = (micros: number | undefined): string | null => (micros === undefined ? null : formatMicros(micros))
      return {
        witness: state.target.kind, where: state.target.where, delivered: { ...cursor },
        pending: (await this.#options.store.countCheckpoints(cursor.checkpoint)) + anchors,
        failures: state.failures, last_error: state.lastError, last_delivered_at: at(state.lastDeliveredMicros), retry_at: at(state.retryAtMicros),
      }
    }))
  }

  /** Stops the timers, waits for deliveries in progress, tries once more what is pending, and closes the witnesses. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#poll?.cancel()
    for (const state of this.#states) state.retry?.cancel()
    try {
      await Promise.all(this.#states.map(async (state) => {
        await state.deliverer.running
        await this.#run(state)
      }))
    } finally {
      for (const state of this.#states) state.target.close()
    }
  }

  #due(state: WitnessState): boolean {
    return state.retryAtMicros === undefined || this.#clock.nowMicros() >= state.retryAtMicros
  }

  #run(state: WitnessState): Promise<void> {
    return state.deliverer.run()
  }

  /**
   * Delivers pending records in signing order until none is left or one fails. The cursors are
   * written after each batch (and before a failure is reported), not after each record: a
   * witness catching up on months costs the trail one write per batch, and a crash in between
   * only sends up to a batch again, which the witness keeps once.
   */
  async #deliverPending(state: WitnessState): Promise<void> {
    try {
      for (let batch = await this.#pending(state); batch.length > 0; batch = await this.#pending(state)) {
        const moved = new Set<WitnessKind>()
        try {
          for (const record of batch) {
            await state.target.deliver(record)
            state.cursor![record.kind] = record.seq
            moved.add(record.kind)
            state.failures = 0
            state.lastError = null
            state.retryAtMicros = undefined
            state.lastDeliveredMicros = this.#clock.nowMicros()
            this.#options.onDelivered?.(state.target, record)
          }
        } finally {
          for (const kind of moved) await this.#options.store.setCursor(state.cursorName(kind), state.cursor![kind])
        }
      }
    } catch (error) {
      state.failures++
      state.lastError = { code: (error as { code?: string }).code ?? 'unknown', message: (error as Error).message }
      let retryInMs: number | undefined
      if (!this.#closed) {
        retryInMs = Math.min(this.#options.retryMaxMs, (this.#options.retryMs ?? 1000) * 2 ** Math.min(state.failures - 1, 30))
        state.retryAtMicros = this.#clock.nowMicros() + retryInMs * 1000
        state.retry?.cancel()
        state.retry = this.#clock.setTimer(retryInMs, () => void this.#run(state))
      }
      this.#options.onFailure?.(state.target, error, retryInMs)
    }
  }

  /**
   * The next records the witness does not hold, in the order they were signed (by `time`): the
   * next checkpoints after its cursor, and the anchors after its cursor that were signed before
   * the last of those checkpoints (or all of them, when no further checkpoint waits).
   */
  async #pending(state: WitnessState): Promise<WitnessRecord[]> {
    const cursor = await this.#cursor(state)
    const checkpoints = await this.#options.store.checkpoints(cursor.checkpoint, BATCH)
    const last = checkpoints.length === BATCH ? checkpoints[BATCH - 1]!.time : undefined
    const anchors = (await this.#options.store.anchors()).filter((a: Anchor) => a.seq > cursor.anchor && (last === undefined || a.time <= last))
    const records: WitnessRecord[] = [
      ...anchors.map((a) => ({ kind: 'anchor' as const, ...a })),
      ...checkpoints.map((c) => ({ kind: 'checkpoint' as const, ...c })),
    ]
    // Stable: at an equal time an anchor goes first, and each kind stays in seq order.
    return records.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0))
  }

  async #cursor(state: WitnessState): Promise<Record<WitnessKind, number>> {
    state.cursor ??= {
      checkpoint: (await this.#options.store.cursor(state.cursorName('checkpoint'))) ?? 0,
      anchor: (await this.#options.store.cursor(state.cursorName('anchor'))) ?? 0,
    }
    return state.cursor
  }
}

type WitnessConfig = Pick<TradetrailConfig, 'witnessDir' | 'witnessUrl' | 'witnessToken' | 'witnessCa' | 'witnessTimeoutMs'>

/**
 * The witnesses of the configuration, checked: a directory this process cannot create files in,
 * or a CA file it cannot read, stops the start with an error naming it. None configured: [].
 */
export async function openWitnessTargets(config: Readonly<WitnessConfig>, keyId: string, clock: Clock): Promise<WitnessTarget[]> {
  const targets: WitnessTarget[] = []
  if (config.witnessDir !== undefined) targets.push(await DirectoryWitness.open(config.witnessDir, keyId))
  if (config.witnessUrl !== undefined) {
    const ca = readSettingFile('TRADETRAIL_WITNESS_CA', config.witnessCa)
    targets.push(new HttpWitness({ url: config.witnessUrl, token: config.witnessToken, ca, timeoutMs: config.witnessTimeoutMs, clock }))
  }
  return targets
}
