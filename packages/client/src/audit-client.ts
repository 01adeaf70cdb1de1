/**
 * The SDK a trading bot holds: `send()` stamps and queues (about a microsecond, never throws,
 * never waits on I/O); everything else happens off the caller's path.
 *
 * Events flow queue → batch → (spool) → collector, and leave in the order they were sent:
 * - A timer (flushIntervalMs) or a full batch cuts the queue into NDJSON batches.
 * - One batch is in flight at a time, always the oldest: the spool's head if the spool holds
 *   anything, else the oldest batch in memory.
 * - Batches go to the spool (append-only, fdatasync'd) in `wal` mode always; in `memory` mode
 *   when the collector does not acknowledge, when the spool already holds older ones (so order
 *   is kept), when too many wait in memory, and on exit.
 * - A batch that was being sent from memory while it was also spooled may be acknowledged
 *   first; its spool copy is then skipped (`#skip`) instead of being sent twice.
 */
import { hostname } from 'node:os'
import type { Agent } from 'node:http'
import {
  ERR_CLIENT_CLOCK_SKEW, ERR_CLIENT_CLOSED, ERR_CLIENT_QUEUE_FULL, ERR_CLIENT_SPOOL_FULL, ERR_CLIENT_SPOOL_UNSAFE,
  ERR_EVENT_BAD_VALUE, ERR_REMOTE, type Problem, TradetrailError, storageRisksOf,
} from '@tradetrail/core'
import type { AuditSink, SinkStats } from './audit-sink.ts'
import { type BatchTarget, type PostOutcome, keepAliveAgent, postBatch } from './batch-post.ts'
import { type AuditClientOptions, type ClientSettings, resolveClientOptions } from './client-options.ts'
import { ClockOffset } from './clock-offset.ts'
import { writeEmergency } from './emergency.ts'
import { type ErrorHandler, errorReporter } from './error-reporter.ts'
import { type EventDefaults, type EventRecord, type SendOptions, encodeEvent, recordEvent } from './event-record.ts'
import { type ExitParticipant, unwatchExit, watchExit } from './exit-hooks.ts'
import { retryDelayMs } from './retry-delay.ts'
import { SpoolQueue, appendBeforeOpenSync } from './spool-queue.ts'
import { emergencyText, unsendable } from './unsendable.ts'

/** A cut of the queue, as it is sent. */
interface Batch {
  body: Buffer
  events: number
  /** Sequence number (within this client) of its first event. */
  firstSeq: number
  acked: boolean
  spilling: boolean
  spooled: boolean
}

/** The oldest undelivered batch, being worked on; `parts` shrink as the collector takes them. */
interface Front {
  parts: Array<{ body: Buffer; events: number }>
  /** Set when it came from memory; unset when it is the spool's head. */
  batch: Batch | undefined
}

/** What the client has done since it was made. */
export interface ClientStats extends SinkStats {
  /** Latest collector-minus-local clock estimate in ms (positive: this clock is behind), once known. */
  clockOffsetMs: number | undefined
  /** Round trip of that estimate in ms; the offset is good to ±half of it. */
  clockRttMs: number | undefined
}

const SDK = '@tradetrail/client/0.1.0'
/** Most bytes of batches spilled to the spool in one write. */
const SPILL_BYTES = 8 * 1024 * 1024
/** Queued events that start an encoding pass (about half a millisecond of work). */
const CUT_EVERY = 256
/**
 * Most events encoded in one turn of the event loop. A pass takes everything queued, so that
 * it keeps up with whatever the bot sends per turn, but a huge synchronous burst is spread
 * over several turns instead of stalling one for its whole length.
 */
const SLICE_MAX = 4096

export class AuditClient implements AuditSink, ExitParticipant {
  readonly settings: ClientSettings
  readonly exitFlushTimeoutMs: number
  readonly #defaults: EventDefaults
  readonly #report: ErrorHandler
  readonly #target: BatchTarget | undefined
  readonly #agent: Agent | undefined
  readonly #clock = new ClockOffset()
  readonly #env: Record<string, string | undefined>

  #queue: EventRecord[] = []
  /** Sequence number of #queue[0]; records before #queueHead are encoded already. */
  #queueFirstSeq = 1
  #queueHead = 0
  /** Encoded events not yet sealed into a batch (it fills up to batchMaxEvents, or the interval ends). */
  #lines: string[] = []
  #chars = 0
  #linesFirstSeq = 0
  #scratch = Buffer.alloc(0)
  #seq = 0
  #overflow: EventRecord[] = []
  #mem: Batch[] = []
  #memEvents = 0
  #front: Front | undefined

  #spool: SpoolQueue | undefined
  /** First sequence number of each spool record, oldest first; 0 for records of earlier runs. */
  #spoolFirstSeqs: number[] = []
  #skip = 0
  #skipEvents = 0
  #spoolBrokenUntil = 0
  /** Nothing is sent while the spool opens: it may hold older events of an earlier run. */
  #spoolOpening = false
  #spoolOpened: Promise<void> = Promise.resolve()

  #timer: NodeJS.Timeout | undefined
  #cutPending = false
  #inflight = false
  /** #kick() was called while a send was under way. */
  #kickedInFlight = false
  #spilling = false
  #retryTimer: NodeJS.Timeout | undefined
  #attempt = 0
  #outage = false
  #forceSpill = false
  #closed = false
  #closing: Promise<void> | undefined
  #waiters: Array<{ target: number; resolve: () => void }> = []
  #reported = new Set<string>()

  #sent = 0
  #failed = 0
  #dropped = 0

  constructor(options: AuditClientOptions) {
    const { settings, problems, onError, env } = resolveClientOptions(options)
    this.settings = settings
    this.exitFlushTimeoutMs = settings.exitFlushTimeoutMs
    this.#report = errorReporter('tradetrail-client', onError)
    this.#env = env
    this.#defaults = { project: settings.project.name, ...settings.defaults }
    if (settings.url) {
      this.#target = { url: settings.url, token: settings.token, timeoutMs: settings.requestTimeoutMs }
      this.#agent = keepAliveAgent(settings.url)
    }
    // Reported on the next turn, so that the caller holds the client when its hook runs.
    for (const problem of problems) queueMicrotask(() => this.#report(problem))
    if (settings.spoolDir !== undefined) this.#openSpool(settings.spoolDir)
    if (settings.handleExit) watchExit(this)
    if (settings.boot) {
      const { name: _, privileges, ...about } = settings.project
      this.send('boot', 'Project was booted.', { ...about, privileges },
        { metadata: { host: hostname(), pid: process.pid, runtime: `node ${process.version}`, sdk: SDK } })
    }
  }

  /**
   * Records one event and returns at once: the time is taken now, `data` and
   * `options.metadata` are copied now (as JSON), and the rest happens off this path.
   * It never throws; problems go to `onError` and the counters.
   */
  send(type: string, message: string, data?: Record<string, unknown>, options?: SendOptions): void {
    try {
      const record = recordEvent(type, message, data, options)
      this.#seq++
      if (this.#closed || this.#queued() + this.#lines.length + this.#memEvents >= this.settings.maxQueuedEvents) {
        this.#overflow.push(record)
        if (!this.#cutPending) this.#scheduleCut()
        return
      }
      if (this.#queue.length === 0) {
        this.#queueFirstSeq = this.#seq
        this.#timer ??= setTimeout(this.#onInterval, this.settings.flushIntervalMs).unref()
      } else if (this.#queued() + 1 >= CUT_EVERY && !this.#cutPending) {
        this.#scheduleCut()
      }
      this.#queue.push(record)
    } catch (error) {
      // Only a hostile argument (a Proxy whose traps throw) gets here; it cannot be recorded.
      this.#dropped++
      queueMicrotask(() => this.#report(ERR_EVENT_BAD_VALUE.create('options', `could not be read (${String(error)})`)))
    }
  }

  /**
   * Resolves once every event sent before the call is acknowledged by the collector, or, when
   * that takes longer than `timeoutMs` (default 5 s), once the rest is in the spool (or is
   * all that can be done: no spool). Never rejects.
   */
  async flush(timeoutMs = 5000): Promise<void> {
    const target = this.#seq
    this.#cut()
    // A spool still opening may hold an earlier run's events, which count as sent before.
    if (this.#spoolOpening) await this.#spoolOpened
    if (this.#oldestOutstanding() > target) return
    return new Promise((resolve) => {
      const waiter = {
        target,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter)
        void this.#spillNow().then(resolve)
      }, timeoutMs)
      this.#waiters.push(waiter)
    })
  }

  /** Flushes (see `flush`), then stops: later `send()` calls are reported and dropped. */
  close(timeoutMs = 5000): Promise<void> {
    this.#closing ??= this.#close(timeoutMs)
    return this.#closing
  }

  async #close(timeoutMs: number): Promise<void> {
    await this.flush(timeoutMs)
    this.#closed = true
    clearTimeout(this.#timer)
    clearTimeout(this.#retryTimer)
    // A request still out is abandoned: its batch is spooled, and a resend is harmless.
    this.#agent?.destroy()
    while (this.#inflight || this.#spoolOpening) await new Promise((resolve) => setTimeout(resolve, 5))
    this.#cut()
    await this.#spillNow()
    unwatchExit(this)
    await this.#spool?.close().catch(() => undefined)
  }

  stats(): ClientStats {
    const clock = this.#clock.best()
    let inMemory = this.#queued() + this.#lines.length
    for (const batch of this.#mem) if (!batch.acked && !batch.spooled) inMemory += batch.events
    return {
      queued: inMemory,
      spooled: (this.#spool?.pendingEvents ?? 0) - this.#skipEvents,
      sent: this.#sent,
      failed: this.#failed,
      dropped: this.#dropped,
      clockOffsetMs: clock === undefined ? undefined : clock.offsetUs / 1000,
      clockRttMs: clock === undefined ? undefined : clock.rttUs / 1000,
    }
  }

  // ── batching ────────────────────────────────────────────────────────────

  #scheduleCut(): void {
    this.#cutPending = true
    setImmediate(this.#encodeQueue).unref()
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

  /** Encodes the whole queue and seals every batch, full or not (flush, close, exit). */
  #cut(): void {
    this.#encodeSlice(Infinity)
    if (this.#lines.length > 0) this.#seal()
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#afterEncoding()
  }

  /** One encoding pass, every CUT_EVERY events, at most SLICE_MAX of them. */
  readonly #encodeQueue = (): void => {
    this.#cutPending = false
    this.#encodeSlice(SLICE_MAX)
    this.#afterEncoding()
  }

  /** Encodes up to `limit` queued events into lines, sealing a batch whenever one is full. */
  #encodeSlice(limit: number): void {
    const records = this.#queue
    const start = this.#queueHead
    const end = Math.min(records.length, start + limit)
    const { batchMaxEvents, batchMaxBytes } = this.settings
    for (let i = start; i < end; i++) {
      const line = encodeEvent(records[i]!, this.#defaults)
      if (typeof line !== 'string') {
        this.#drop(line, unsendable(records[i]!, this.#defaults.project, line))
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
    if (this.#queued() > 0 && !this.#cutPending) this.#scheduleCut()
    // The interval timer is armed while anything waits; a new one starts with the next send().
    if ((this.#lines.length > 0 || this.#queued() > 0) && this.#timer === undefined) {
      this.#timer = setTimeout(this.#onInterval, this.settings.flushIntervalMs).unref()
    }
    this.#drainOverflow()
    this.#notifyWaiters()
    this.#kick()
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
    this.#mem.push({ body, events: lines.length, firstSeq: this.#linesFirstSeq, acked: false, spilling: false, spooled: false })
    this.#memEvents += lines.length
    this.#lines = []
    this.#chars = 0
  }

  #drainOverflow(): void {
    if (this.#overflow.length === 0) return
    const overflow = this.#overflow
    this.#overflow = []
    const error = this.#closed ? ERR_CLIENT_CLOSED.create() : ERR_CLIENT_QUEUE_FULL.create(this.settings.maxQueuedEvents)
    this.#reportOnce(error)
    for (const record of overflow) this.#drop(undefined, emergencyText(record, this.#defaults))
  }

  /** Gives up one event: counted, reported (when `error` is given), and written to stderr. */
  #drop(error: TradetrailError | undefined, eventJson: string): void {
    this.#dropped++
    if (error) this.#report(error)
    writeEmergency(eventJson)
  }

  /** Reports `error` once until the condition clears (`#cleared`). */
  #reportOnce(error: TradetrailError): void {
    if (this.#reported.has(error.code)) return
    this.#reported.add(error.code)
    this.#report(error)
  }

  #cleared(code: string): void {
    this.#reported.delete(code)
  }

  // ── delivery ────────────────────────────────────────────────────────────

  /** Starts whatever can start: a spill to the spool, the next send. */
  #kick(): void {
    if (!this.#spilling && this.#shouldSpill()) void this.#spill()
    if (this.#inflight) this.#kickedInFlight = true
    else if (this.#retryTimer === undefined && !this.#closed) void this.#sendNext()
  }

  #shouldSpill(): boolean {
    const spool = this.#spool
    if (!spool || Date.now() < this.#spoolBrokenUntil) return false
    const next = this.#mem.find((b) => !b.spooled && !b.acked)
    if (!next) return false
    const wanted = this.settings.durability === 'wal' || this.#forceSpill || this.#outage || spool.pendingRecords > this.#skip ||
      this.#memEvents >= this.settings.maxQueuedEvents / 4
    if (!wanted) return false
    if (spool.fits(next.body.length)) return true
    this.#reportOnce(ERR_CLIENT_SPOOL_FULL.create(spool.dir, spool.maxBytes))
    return false
  }

  async #spill(): Promise<void> {
    this.#spilling = true
    try {
      while (this.#shouldSpill()) {
        const spool = this.#spool!
        // Everything waiting goes in one write and one fdatasync, up to a bound per write.
        const batches: Batch[] = []
        let bytes = 0
        for (const batch of this.#mem) {
          if (batch.spooled || batch.acked) continue
          if (batches.length > 0 && bytes + batch.body.length > SPILL_BYTES) break
          batches.push(batch)
          bytes += batch.body.length
          batch.spilling = true
        }
        let appended: number
        try {
          appended = await spool.appendAll(batches)
        } finally {
          for (const batch of batches) batch.spilling = false
        }
        if (appended < batches.length) this.#reportOnce(ERR_CLIENT_SPOOL_FULL.create(spool.dir, spool.maxBytes))
        else this.#cleared(ERR_CLIENT_SPOOL_FULL.code)
        for (const batch of batches.slice(0, appended)) {
          batch.spooled = true
          this.#spoolFirstSeqs.push(batch.firstSeq)
          if (batch.acked) this.#skipAcked(batch)
          this.#forget(batch)
        }
        if (appended < batches.length) break
      }
    } catch (error) {
      this.#spoolTrouble(error)
    } finally {
      this.#spilling = false
    }
    this.#kick()
  }

  /** Spills everything in memory now, whatever the mode (flush timeout, close). */
  async #spillNow(): Promise<void> {
    this.#forceSpill = true
    try {
      while (this.#spilling) await new Promise((resolve) => setImmediate(resolve))
      if (this.#shouldSpill()) await this.#spill()
    } finally {
      this.#forceSpill = false
    }
  }

  #spoolTrouble(error: unknown): void {
    const delay = retryDelayMs(3, { initialMs: this.settings.retryInitialMs, maxMs: this.settings.retryMaxMs })
    this.#spoolBrokenUntil = Date.now() + delay
    setTimeout(() => this.#kick(), delay + 1).unref()
    this.#report(error instanceof TradetrailError ? error : new TradetrailError('TT_ERR_CLIENT_SPOOL', 500, String(error)))
  }

  #forget(batch: Batch): void {
    const index = this.#mem.indexOf(batch)
    if (index < 0) return
    this.#mem.splice(index, 1)
    this.#memEvents -= batch.events
  }

  #skipAcked(batch: Batch): void {
    this.#skip++
    this.#skipEvents += batch.events
  }

  /** The oldest undelivered batch, from the spool's head or from memory. */
  async #oldest(): Promise<Front | undefined> {
    if (this.#front) return this.#front
    const spool = this.#spool
    if (spool && Date.now() >= this.#spoolBrokenUntil) {
      while (this.#skip > 0 && spool.pendingRecords > 0) {
        const skipped = await spool.peek()
        await spool.ack()
        this.#spoolFirstSeqs.shift()
        this.#skip--
        this.#skipEvents -= skipped?.events ?? 0
      }
      if (spool.pendingRecords > 0) {
        const record = await spool.peek()
        if (record) return (this.#front = { parts: [record], batch: undefined })
      }
    }
    const batch = this.#mem.find((b) => !b.acked)
    // wal: a batch leaves only once it is in the spool, unless the spool cannot take it.
    if (batch && this.settings.durability === 'wal' && spool && Date.now() >= this.#spoolBrokenUntil && spool.fits(batch.body.length)) return undefined
    return batch && (this.#front = { parts: [{ body: batch.body, events: batch.events }], batch })
  }

  async #sendNext(): Promise<void> {
    if (this.#spoolOpening) return
    this.#inflight = true
    let retryIn = -1
    try {
      const front = await this.#oldest()
      if (!front) {
        this.#inflight = false
        // Work that arrived while we looked (a batch sealed meanwhile) would otherwise wait.
        if (this.#kickedInFlight) {
          this.#kickedInFlight = false
          this.#kick()
        }
        return
      }
      const part = front.parts[0]!
      const outcome: PostOutcome = this.#target
        ? await postBatch(this.#target, this.#agent!, part.body, this.#clock.best())
        : { kind: 'retry', error: ERR_REMOTE.create(String(this.settings.url), 'is not a usable URL: fix the url option'), retryAfterMs: 0 }
      retryIn = await this.#settle(front, outcome)
    } catch (error) {
      this.#spoolTrouble(error)
      retryIn = 0
    } finally {
      this.#inflight = false
      this.#kickedInFlight = false
    }
    if (retryIn < 0) this.#kick()
    else {
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined
        this.#kick()
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
        if (outcome.problems.some((p) => p.index! < part.events)) {
          front.parts[0] = this.#without(part, outcome.error, outcome.problems)
          break
        }
        // It named no event of this batch: find the bad one by halves, as for a 400 without names.
        this.#splitFront(front, outcome.error)
        break
      case 'split':
        this.#splitFront(front, outcome.error)
        break
      case 'retry': {
        this.#failed++
        this.#outage = true
        this.#report(outcome.error)
        const delay = retryDelayMs(this.#attempt++, { initialMs: this.settings.retryInitialMs, maxMs: this.settings.retryMaxMs }, Math.random, outcome.retryAfterMs)
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
    const { batch } = front
    if (batch === undefined) {
      await this.#spool!.ack()
      this.#spoolFirstSeqs.shift()
    } else {
      batch.acked = true
      if (batch.spooled) this.#skipAcked(batch)
      if (!batch.spilling) this.#forget(batch)
    }
    this.#notifyWaiters()
  }

  /** The front part in halves; a single event the collector still refuses is dropped and reported. */
  #splitFront(front: Front, error: TradetrailError): void {
    const part = front.parts[0]!
    if (part.events === 1) this.#drop(error, part.body.toString('utf8').trimEnd())
    front.parts.splice(0, 1, ...(part.events === 1 ? [] : halves(part)))
  }

  /** `part` without the events the collector named as invalid, each dropped and reported. */
  #without(part: { body: Buffer; events: number }, error: TradetrailError, problems: Problem[]): { body: Buffer; events: number } {
    const lines = part.body.toString('utf8').split('\n').filter((line) => line !== '')
    const bad = new Set(problems.map((p) => p.index))
    for (const problem of problems) {
      const line = lines[problem.index!]
      if (line === undefined) continue
      this.#drop(new TradetrailError(problem.code, error.statusCode, `the collector refused an event: ${problem.path} ${problem.message}`, [problem]), line)
    }
    const kept = lines.filter((_, i) => !bad.has(i))
    return { body: Buffer.from(kept.length === 0 ? '' : kept.join('\n') + '\n'), events: kept.length }
  }

  #clockSample(exchange: { t0: number; t1: number; t2: number; t3: number }): void {
    this.#clock.add(exchange.t0, exchange.t1, exchange.t2, exchange.t3)
    const best = this.#clock.best()!
    const limitUs = this.settings.clockSkewLimitMs * 1000
    // Only an offset beyond what the round trip could explain is evidence of skew.
    if (limitUs > 0 && Math.abs(best.offsetUs) - best.rttUs / 2 > limitUs) {
      this.#reportOnce(ERR_CLIENT_CLOCK_SKEW.create(best.offsetUs / 1000, this.settings.clockSkewLimitMs))
    } else if (Math.abs(best.offsetUs) <= limitUs) {
      this.#cleared(ERR_CLIENT_CLOCK_SKEW.code)
    }
  }

  // ── flush bookkeeping ───────────────────────────────────────────────────

  /** Sequence number of the oldest event not yet delivered (Infinity when none). */
  #oldestOutstanding(): number {
    let oldest = Infinity
    if (this.#spool && this.#spool.pendingRecords > this.#skip) oldest = this.#spoolFirstSeqs[this.#skip] ?? 0
    for (const batch of this.#mem) {
      if (!batch.acked && !batch.spooled) {
        oldest = Math.min(oldest, batch.firstSeq)
        break
      }
    }
    if (this.#lines.length > 0) oldest = Math.min(oldest, this.#linesFirstSeq)
    if (this.#queued() > 0) oldest = Math.min(oldest, this.#queueFirstSeq + this.#queueHead)
    return oldest
  }

  #notifyWaiters(): void {
    if (this.#waiters.length === 0) return
    const oldest = this.#oldestOutstanding()
    const done = this.#waiters.filter((w) => oldest > w.target)
    if (done.length === 0) return
    this.#waiters = this.#waiters.filter((w) => oldest <= w.target)
    for (const waiter of done) waiter.resolve()
  }

  // ── spool and exit ──────────────────────────────────────────────────────

  #openSpool(dir: string): void {
    this.#spoolOpening = true
    this.#spoolOpened = SpoolQueue.open(dir, { maxBytes: this.settings.maxSpoolBytes }).then((spool) => {
      this.#spoolOpening = false
      if (this.#closed) return void spool.close()
      this.#spool = spool
      this.#spoolFirstSeqs = Array.from({ length: spool.pendingRecords }, () => 0)
      for (const warning of spool.warnings) this.#report(warning)
      const risks = storageRisksOf(spool.dir, { env: this.#env })
      if (risks.length > 0) this.#report(ERR_CLIENT_SPOOL_UNSAFE.create(spool.dir, risks.join(' and ')))
      this.#kick()
    }, (error: TradetrailError) => {
      this.#spoolOpening = false
      this.#report(error)
      this.#kick()
    })
  }

  hasPending(): boolean {
    return this.#queued() > 0 || this.#lines.length > 0 || this.#mem.some((b) => !b.acked && !b.spooled)
  }

  flushForExit(timeoutMs: number): Promise<void> {
    return this.flush(timeoutMs)
  }

  /** Everything still only in memory goes to the spool now, synchronously; without a spool, to stderr. */
  persistSync(): void {
    this.#cut()
    const waiting = this.#mem.filter((b) => !b.acked && !b.spooled)
    if (waiting.length === 0) return
    let keptAll = false
    if (!this.#spool && this.#spoolOpening && this.settings.spoolDir !== undefined) {
      try {
        keptAll = appendBeforeOpenSync(this.settings.spoolDir, waiting)
      } catch (error) {
        this.#report(error as TradetrailError)
      }
    }
    for (const batch of waiting) {
      let kept = keptAll
      if (!kept && this.#spool) {
        try {
          kept = this.#spool.appendSync(batch.body, batch.events)
        } catch (error) {
          this.#report(error as TradetrailError)
        }
      }
      if (kept) {
        batch.spooled = true
        this.#spoolFirstSeqs.push(batch.firstSeq)
      } else {
        for (const line of batch.body.toString('utf8').split('\n')) if (line !== '') this.#drop(undefined, line)
        batch.acked = true
      }
    }
  }
}

function halves(part: { body: Buffer; events: number }): Array<{ body: Buffer; events: number }> {
  const lines = part.body.toString('utf8').split('\n').filter((line) => line !== '')
  const middle = Math.ceil(lines.length / 2)
  return [lines.slice(0, middle), lines.slice(middle)].map((half) => ({ body: Buffer.from(half.join('\n') + '\n'), events: half.length }))
}
