/**
 * Delivery: sealed batches leave memory for the spool (a spill) and, oldest first, for the
 * collector, one request at a time.
 * - The batch in flight is always the oldest: the spool's head if the spool holds anything,
 *   else the oldest batch in memory.
 * - Batches go to the spool (append-only, fdatasync'd) in `wal` mode always; in `memory` mode
 *   when the collector does not acknowledge, when the spool already holds older ones (so order
 *   is kept), when too many wait in memory, and on flush timeout and close.
 */
import type { Agent } from 'node:http'
import { ERR_CLIENT_CLOCK_SKEW, ERR_CLIENT_SPOOL_FULL, ERR_COLLECTOR_UNREACHABLE, TradetrailError } from '@tradetrail/core'
import { type BatchTarget, type PostOutcome, keepAliveAgent, postBatch } from './batch-post.ts'
import type { ClientProblems } from './client-problems.ts'
import type { ClientSettings } from './client-options.ts'
import { ClockOffset } from './clock-offset.ts'
import type { Batch, DeliveryLedger } from './delivery-ledger.ts'
import { type BatchPart, rejectedBatch } from './rejected-batch.ts'
import { retryDelayMs } from './retry-delay.ts'

/** Most bytes of batches spilled to the spool in one write. */
const SPILL_BYTES = 8 * 1024 * 1024

/** The oldest undelivered batch, being worked on; `parts` shrink as the collector takes them. */
interface Front {
  parts: BatchPart[]
  /** Set when it came from memory; unset when it is the spool's head. */
  batch: Batch | undefined
}

/** What a BatchDelivery works with. */
export interface DeliveryOptions {
  settings: ClientSettings
  ledger: DeliveryLedger
  problems: ClientProblems
  /** A batch was delivered, or what was left of it given up: flush() callers may be done. */
  delivered: () => void
}

/** Moves the ledger's batches to the spool and to the collector; never throws. */
export class BatchDelivery {
  /** Collector-minus-local clock estimates, one per acknowledged batch. */
  readonly clock = new ClockOffset()
  readonly #settings: ClientSettings
  readonly #ledger: DeliveryLedger
  readonly #problems: ClientProblems
  readonly #delivered: () => void
  readonly #target: BatchTarget | undefined
  readonly #agent: Agent | undefined

  #front: Front | undefined
  #inflight = false
  /** kick() was called while a send was under way. */
  #kickedInFlight = false
  #spilling = false
  #spoolBrokenUntil = 0
  #retryTimer: NodeJS.Timeout | undefined
  #attempt = 0
  #outage = false
  #forceSpill = false
  #closed = false
  #sent = 0
  #failed = 0

  constructor(options: DeliveryOptions) {
    this.#settings = options.settings
    this.#ledger = options.ledger
    this.#problems = options.problems
    this.#delivered = options.delivered
    const { url, token, requestTimeoutMs } = options.settings
    if (url) {
      this.#target = { url, token, timeoutMs: requestTimeoutMs }
      this.#agent = keepAliveAgent(url)
    }
  }

  /** Events the collector acknowledged. */
  get sent(): number {
    return this.#sent
  }

  /** Requests the collector did not acknowledge. */
  get failed(): number {
    return this.#failed
  }

  /** Whether a request (or the look for the next batch) is under way. */
  get inflight(): boolean {
    return this.#inflight
  }

  /** Starts whatever can start: a spill to the spool, the next send. */
  kick(): void {
    if (!this.#spilling && this.#shouldSpill()) void this.#spill()
    if (this.#inflight) this.#kickedInFlight = true
    else if (this.#retryTimer === undefined && !this.#closed) void this.#sendNext()
  }

  /** Spills everything in memory now, whatever the mode (flush timeout, close). */
  async spillNow(): Promise<void> {
    this.#forceSpill = true
    try {
      while (this.#spilling) await new Promise((resolve) => setImmediate(resolve))
      if (this.#shouldSpill()) await this.#spill()
    } finally {
      this.#forceSpill = false
    }
  }

  /** Sends nothing more; a request still out is abandoned (its batch is spooled, and a resend is harmless). */
  close(): void {
    this.#closed = true
    clearTimeout(this.#retryTimer)
    this.#agent?.destroy()
  }

  #shouldSpill(): boolean {
    const spool = this.#ledger.spool
    if (!spool || Date.now() < this.#spoolBrokenUntil) return false
    const next = this.#ledger.nextToSpill()
    if (!next) return false
    const wanted = this.#settings.durability === 'wal' || this.#forceSpill || this.#outage || this.#ledger.spoolBacklog ||
      this.#ledger.memEvents >= this.#settings.maxQueuedEvents / 4
    if (!wanted) return false
    if (spool.fits(next.body.length)) return true
    this.#problems.reportOnce(ERR_CLIENT_SPOOL_FULL.create(spool.dir, spool.maxBytes))
    return false
  }

  async #spill(): Promise<void> {
    this.#spilling = true
    try {
      while (this.#shouldSpill()) {
        const spool = this.#ledger.spool!
        // Everything waiting goes in one write and one fdatasync, up to a bound per write.
        const batches = this.#ledger.startSpill(SPILL_BYTES)
        let appended = 0
        try {
          appended = await spool.appendAll(batches)
        } finally {
          this.#ledger.endSpill(batches, appended)
        }
        if (appended < batches.length) {
          this.#problems.reportOnce(ERR_CLIENT_SPOOL_FULL.create(spool.dir, spool.maxBytes))
          break
        }
        this.#problems.cleared(ERR_CLIENT_SPOOL_FULL.code)
      }
    } catch (error) {
      this.#spoolTrouble(error)
    } finally {
      this.#spilling = false
    }
    this.kick()
  }

  #spoolTrouble(error: unknown): void {
    const delay = retryDelayMs(3, { initialMs: this.#settings.retryInitialMs, maxMs: this.#settings.retryMaxMs })
    this.#spoolBrokenUntil = Date.now() + delay
    setTimeout(() => this.kick(), delay + 1).unref()
    this.#problems.report(error instanceof TradetrailError ? error : new TradetrailError('TT_ERR_CLIENT_SPOOL', 500, String(error)))
  }

  /** The oldest undelivered batch, from the spool's head or from memory. */
  async #oldest(): Promise<Front | undefined> {
    if (this.#front) return this.#front
    const spool = this.#ledger.spool
    if (spool && Date.now() >= this.#spoolBrokenUntil) {
      await this.#ledger.dropSkipped()
      if (spool.pendingRecords > 0) {
        const record = await spool.peek()
        if (record) return (this.#front = { parts: [record], batch: undefined })
      }
    }
    const batch = this.#ledger.oldestInMemory()
    // wal: a batch leaves only once it is in the spool, unless the spool cannot take it.
    if (batch && this.#settings.durability === 'wal' && spool && Date.now() >= this.#spoolBrokenUntil && spool.fits(batch.body.length)) return undefined
    return batch && (this.#front = { parts: [{ body: batch.body, events: batch.events }], batch })
  }

  async #sendNext(): Promise<void> {
    if (this.#ledger.spoolOpening) return
    this.#inflight = true
    let retryIn = -1
    try {
      const front = await this.#oldest()
      if (!front) {
        this.#inflight = false
        // Work that arrived while we looked (a batch sealed meanwhile) would otherwise wait.
        if (this.#kickedInFlight) {
          this.#kickedInFlight = false
          this.kick()
        }
        return
      }
      const part = front.parts[0]!
      const outcome: PostOutcome = this.#target
        ? await postBatch(this.#target, this.#agent!, part.body, this.clock.best())
        : { kind: 'retry', error: ERR_COLLECTOR_UNREACHABLE.create(String(this.#settings.url), 'ERR_INVALID_URL'), retryAfterMs: 0 }
      retryIn = await this.#settle(front, outcome)
    } catch (error) {
      this.#spoolTrouble(error)
      retryIn = 0
    } finally {
      this.#inflight = false
      this.#kickedInFlight = false
    }
    if (retryIn < 0) this.kick()
    else {
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined
        this.kick()
      }, retryIn).unref()
    }
  }

  /** Applies the collector's answer to the front batch; returns the wait before the next attempt, or -1 for none. */
  async #settle(front: Front, outcome: PostOutcome): Promise<number> {
    const part = front.parts[0]!
    switch (outcome.kind) {
      case 'ok':
        this.#sent += part.events
        this.#attempt = 0
        this.#outage = false
        if (outcome.clock) this.#clockSample(outcome.clock)
        front.parts.shift()
        break
      case 'reject':
      case 'split':
        front.parts.splice(0, 1, ...rejectedBatch(part, outcome, (error, line) => this.#problems.drop(error, line)))
        break
      case 'retry': {
        this.#failed++
        this.#outage = true
        this.#problems.report(outcome.error)
        const delay = retryDelayMs(this.#attempt++, { initialMs: this.#settings.retryInitialMs, maxMs: this.#settings.retryMaxMs }, Math.random, outcome.retryAfterMs)
        if (!this.#spilling && this.#shouldSpill()) void this.#spill()
        return delay
      }
    }
    if (front.parts.length > 0 && front.parts[0]!.events === 0) front.parts.shift()
    if (front.parts.length === 0) await this.#finish(front)
    return -1
  }

  /** The front batch is delivered (or what is left of it was dropped). */
  async #finish(front: Front): Promise<void> {
    this.#front = undefined
    if (front.batch === undefined) await this.#ledger.spoolHeadAcked()
    else this.#ledger.acked(front.batch)
    this.#delivered()
  }

  #clockSample(exchange: { t0: number; t1: number; t2: number; t3: number }): void {
    this.clock.add(exchange.t0, exchange.t1, exchange.t2, exchange.t3)
    const best = this.clock.best()!
    const limitUs = this.#settings.clockSkewLimitMs * 1000
    // Only an offset beyond what the round trip could explain is evidence of skew.
    if (limitUs > 0 && Math.abs(best.offsetUs) - best.rttUs / 2 > limitUs) {
      this.#problems.reportOnce(ERR_CLIENT_CLOCK_SKEW.create(best.offsetUs / 1000, this.#settings.clockSkewLimitMs))
    } else if (Math.abs(best.offsetUs) <= limitUs) {
      this.#problems.cleared(ERR_CLIENT_CLOCK_SKEW.code)
    }
  }
}
