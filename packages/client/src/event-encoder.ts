/**
 * Batching: the queue of recorded events becomes NDJSON batches, off the caller's path.
 * An encoding pass starts every CUT_EVERY events sent; at the end of each flush interval what
 * is encoded is sealed into a batch, full or not.
 */
import type { TradetrailError } from '@tradetrail/core'
import type { ClientSettings } from './client-options.ts'
import { type EventDefaults, type EventRecord, encodeEvent } from './event-record.ts'
import { unsendable } from './unsendable.ts'

/** Queued events that start an encoding pass (about half a millisecond of work). */
const CUT_EVERY = 256
/**
 * Most events encoded in one turn of the event loop. A pass takes everything queued, so that
 * it keeps up with whatever the bot sends per turn, but a huge synchronous burst is spread
 * over several turns instead of stalling one for its whole length.
 */
const SLICE_MAX = 4096

/** Where an EventEncoder's work goes. */
export interface EncoderOutput {
  /** A batch is sealed: `events` NDJSON lines in `body`, the first with sequence number `firstSeq`. */
  sealed(body: Buffer, events: number, firstSeq: number): void
  /** An event could not be encoded: `error` says why, `eventJson` what can be said of the event. */
  unsendable(error: TradetrailError, eventJson: string): void
  /** An encoding pass (or a cut) ended. */
  passEnded(): void
}

/** What the encoder reads of the client's settings. */
export type EncoderSettings = Pick<ClientSettings, 'batchMaxEvents' | 'batchMaxBytes' | 'flushIntervalMs'>

/** Turns queued event records into sealed NDJSON batches of at most batchMaxEvents and batchMaxBytes. */
export class EventEncoder {
  readonly #settings: EncoderSettings
  readonly #defaults: EventDefaults
  readonly #output: EncoderOutput

  #queue: EventRecord[] = []
  /** Sequence number of #queue[0]; records before #queueHead are encoded already. */
  #queueFirstSeq = 1
  #queueHead = 0
  /** Encoded events not yet sealed into a batch (it fills up to batchMaxEvents, or the interval ends). */
  #lines: string[] = []
  #chars = 0
  #linesFirstSeq = 0
  #scratch = Buffer.alloc(0)
  #timer: NodeJS.Timeout | undefined
  #passPending = false

  constructor(settings: EncoderSettings, defaults: EventDefaults, output: EncoderOutput) {
    this.#settings = settings
    this.#defaults = defaults
    this.#output = output
  }

  /** Events sent but not sealed into a batch yet. */
  get held(): number {
    return this.#queue.length - this.#queueHead + this.#lines.length
  }

  /** Queues `record`, the event with sequence number `seq`. This is on the caller's path. */
  push(record: EventRecord, seq: number): void {
    if (this.#queue.length === 0) {
      this.#queueFirstSeq = seq
      this.#timer ??= setTimeout(this.#onInterval, this.#settings.flushIntervalMs).unref()
    } else if (this.#queued() + 1 >= CUT_EVERY && !this.#passPending) {
      this.requestPass()
    }
    this.#queue.push(record)
  }

  /** Runs an encoding pass on the next turn (once, however often it is asked for meanwhile). */
  requestPass(): void {
    if (this.#passPending) return
    this.#passPending = true
    setImmediate(this.#pass).unref()
  }

  /** Encodes the whole queue and seals every batch, full or not (flush, close, exit). */
  cut(): void {
    this.#encodeSlice(Infinity)
    if (this.#lines.length > 0) this.#seal()
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#afterEncoding()
  }

  /** Stops the interval timer (close). */
  stop(): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /** Sequence number of the oldest event held here (Infinity when none). */
  oldestSeq(): number {
    let oldest = Infinity
    if (this.#lines.length > 0) oldest = this.#linesFirstSeq
    if (this.#queued() > 0) oldest = Math.min(oldest, this.#queueFirstSeq + this.#queueHead)
    return oldest
  }

  /** Events sent but not encoded yet. */
  #queued(): number {
    return this.#queue.length - this.#queueHead
  }

  /** The batching interval is over: what is encoded leaves as a batch, full or not. */
  readonly #onInterval = (): void => {
    this.#timer = undefined
    this.#encodeSlice(SLICE_MAX)
    if (this.#lines.length > 0) this.#seal()
    this.#afterEncoding()
  }

  /** One encoding pass, every CUT_EVERY events, at most SLICE_MAX of them. */
  readonly #pass = (): void => {
    this.#passPending = false
    this.#encodeSlice(SLICE_MAX)
    this.#afterEncoding()
  }

  /** Encodes up to `limit` queued events into lines, sealing a batch whenever one is full. */
  #encodeSlice(limit: number): void {
    const records = this.#queue
    const start = this.#queueHead
    const end = Math.min(records.length, start + limit)
    const { batchMaxEvents, batchMaxBytes } = this.#settings
    for (let i = start; i < end; i++) {
      const line = encodeEvent(records[i]!, this.#defaults)
      if (typeof line !== 'string') {
        this.#output.unsendable(line, unsendable(records[i]!, this.#defaults.project, line))
        continue
      }
      if (this.#lines.length > 0 && (this.#lines.length >= batchMaxEvents || this.#chars + line.length > batchMaxBytes)) this.#seal()
      if (this.#lines.length === 0) this.#linesFirstSeq = this.#queueFirstSeq + i
      this.#lines.push(line)
      this.#chars += line.length + 1
    }
    if (end === records.length) {
      this.#queue = []
      this.#queueHead = 0
    } else if (end >= records.length - end) {
      // Under steady sending the queue may never run empty: drop the encoded part once it is
      // the larger one (amortised O(1) per event), or the array would keep every record.
      this.#queue = records.slice(end)
      this.#queueFirstSeq += end
      this.#queueHead = 0
    } else {
      this.#queueHead = end
    }
  }

  #afterEncoding(): void {
    if (this.#queued() > 0 && !this.#passPending) this.requestPass()
    // The interval timer is armed while anything waits; a new one starts with the next push().
    if ((this.#lines.length > 0 || this.#queued() > 0) && this.#timer === undefined) {
      this.#timer = setTimeout(this.#onInterval, this.#settings.flushIntervalMs).unref()
    }
    this.#output.passEnded()
  }

  /** The encoded lines become one batch, written straight into a buffer (no joined string). */
  #seal(): void {
    const lines = this.#lines
    const needed = this.#chars * 3
    if (this.#scratch.length < needed) this.#scratch = Buffer.allocUnsafe(Math.max(needed, 2 * this.#scratch.length))
    let offset = 0
    for (const line of lines) {
      offset += this.#scratch.write(line, offset)
      this.#scratch[offset++] = 10
    }
    const body = Buffer.from(this.#scratch.subarray(0, offset))
    const firstSeq = this.#linesFirstSeq
    this.#lines = []
    this.#chars = 0
    this.#output.sealed(body, lines.length, firstSeq)
  }
}
