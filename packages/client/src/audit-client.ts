/**
 * The SDK a trading bot holds: `send()` stamps and queues (about a microsecond, never throws,
 * never waits on I/O); everything else happens off the caller's path.
 *
 * Events flow queue → batch → (spool) → collector, and leave in the order they were sent.
 * The client composes the parts that do that:
 * - EventEncoder (event-encoder.ts) cuts the queue into NDJSON batches;
 * - DeliveryLedger (delivery-ledger.ts) knows which batches are in memory or in the spool;
 * - BatchDelivery (batch-delivery.ts) spills them to the spool and sends them, oldest first;
 * - FlushWaiters (flush-waiters.ts) resolves flush() once its events are delivered;
 * and the client itself opens the spool and takes part in process exit (exit-hooks.ts).
 */
import { hostname } from 'node:os'
import {
  ERR_CLIENT_CLOSED, ERR_CLIENT_QUEUE_FULL, ERR_CLIENT_SPOOL_UNSAFE, ERR_EVENT_BAD_VALUE, type TradetrailError, storageRisksOf,
} from '@tradetrail/core'
import type { AuditSink, SinkStats } from './audit-sink.ts'
import { BatchDelivery } from './batch-delivery.ts'
import { ClientProblems } from './client-problems.ts'
import { type AuditClientOptions, type ClientSettings, resolveClientOptions } from './client-options.ts'
import { DeliveryLedger } from './delivery-ledger.ts'
import { errorReporter } from './error-reporter.ts'
import { EventEncoder } from './event-encoder.ts'
import { type EventDefaults, type EventRecord, type SendOptions, recordEvent } from './event-record.ts'
import { type ExitParticipant, unwatchExit, watchExit } from './exit-hooks.ts'
import { FlushWaiters } from './flush-waiters.ts'
import { SpoolQueue } from './spool-queue.ts'
import { emergencyText } from './unsendable.ts'

/** What the client has done since it was made. */
export interface ClientStats extends SinkStats {
  /** Latest collector-minus-local clock estimate in ms (positive: this clock is behind), once known. */
  clockOffsetMs: number | undefined
  /** Round trip of that estimate in ms; the offset is good to ±half of it. */
  clockRttMs: number | undefined
}

const SDK = '@tradetrail/client/0.1.0'

/**
 * Sends a bot's audit events to a Tradetrail collector: batched, in order, through a local
 * spool when the collector is away, and flushed on process exit.
 */
export class AuditClient implements AuditSink, ExitParticipant {
  /** The options as resolved and checked when the client was made (frozen). */
  readonly settings: ClientSettings
  /** How long process exit waits for delivery before the rest goes to the spool. */
  readonly exitFlushTimeoutMs: number
  readonly #defaults: EventDefaults
  readonly #env: Record<string, string | undefined>
  readonly #problems: ClientProblems
  readonly #encoder: EventEncoder
  readonly #ledger = new DeliveryLedger()
  readonly #delivery: BatchDelivery
  readonly #waiters: FlushWaiters

  /** Sequence number of the last event sent. */
  #seq = 0
  /** Events refused at send() (queue full, client closed), given up on the next encoding pass. */
  #overflow: EventRecord[] = []
  #spoolOpened: Promise<void> = Promise.resolve()
  #closed = false
  #closing: Promise<void> | undefined

  constructor(options: AuditClientOptions) {
    const { settings, problems, onError, env } = resolveClientOptions(options)
    this.settings = settings
    this.exitFlushTimeoutMs = settings.exitFlushTimeoutMs
    this.#problems = new ClientProblems(errorReporter('tradetrail-client', onError))
    this.#env = env
    this.#defaults = { project: settings.project.name, ...settings.defaults }
    this.#waiters = new FlushWaiters(() => Math.min(this.#ledger.oldestSeq(), this.#encoder.oldestSeq()))
    this.#delivery = new BatchDelivery({
      settings, ledger: this.#ledger, problems: this.#problems, delivered: () => this.#waiters.notify(),
    })
    this.#encoder = new EventEncoder(settings, this.#defaults, {
      sealed: (body, events, firstSeq) => this.#ledger.add(body, events, firstSeq),
      unsendable: (error, eventJson) => this.#problems.drop(error, eventJson),
      passEnded: () => {
        this.#drainOverflow()
        this.#waiters.notify()
        this.#delivery.kick()
      },
    })
    // Reported on the next turn, so that the caller holds the client when its hook runs.
    for (const problem of problems) queueMicrotask(() => this.#problems.report(problem))
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
      if (this.#closed || this.#encoder.held + this.#ledger.memEvents >= this.settings.maxQueuedEvents) {
        this.#overflow.push(record)
        this.#encoder.requestPass()
        return
      }
      this.#encoder.push(record, this.#seq)
    } catch (error) {
      // Only a hostile argument (a Proxy whose traps throw) gets here; it cannot be recorded.
      this.#problems.lost()
      queueMicrotask(() => this.#problems.report(ERR_EVENT_BAD_VALUE.create('options', `could not be read (${String(error)})`)))
    }
  }

  /**
   * Resolves once every event sent before the call is acknowledged by the collector, or, when
   * that takes longer than `timeoutMs` (default 5 s), once the rest is in the spool (or is
   * all that can be done: no spool). Never rejects.
   */
  async flush(timeoutMs = 5000): Promise<void> {
    const target = this.#seq
    this.#encoder.cut()
    // A spool still opening may hold an earlier run's events, which count as sent before.
    if (this.#ledger.spoolOpening) await this.#spoolOpened
    if (this.#waiters.done(target)) return
    return this.#waiters.wait(target, timeoutMs, () => this.#delivery.spillNow())
  }

  /** Flushes (see `flush`), then stops: later `send()` calls are reported and dropped. */
  close(timeoutMs = 5000): Promise<void> {
    this.#closing ??= this.#close(timeoutMs)
    return this.#closing
  }

  async #close(timeoutMs: number): Promise<void> {
    await this.flush(timeoutMs)
    this.#closed = true
    this.#encoder.stop()
    this.#delivery.close()
    while (this.#delivery.inflight || this.#ledger.spoolOpening) await new Promise((resolve) => setTimeout(resolve, 5))
    this.#encoder.cut()
    await this.#delivery.spillNow()
    unwatchExit(this)
    await this.#ledger.spool?.close().catch(() => undefined)
  }

  /** Counters since the client was made, and the latest clock offset estimate. */
  stats(): ClientStats {
    const clock = this.#delivery.clock.best()
    return {
      queued: this.#encoder.held + this.#ledger.inMemoryEvents(),
      spooled: this.#ledger.spooledEvents(),
      sent: this.#delivery.sent,
      failed: this.#delivery.failed,
      dropped: this.#problems.dropped,
      clockOffsetMs: clock === undefined ? undefined : clock.offsetUs / 1000,
      clockRttMs: clock === undefined ? undefined : clock.rttUs / 1000,
    }
  }

  /** Whether anything waits in memory (exit-hooks.ts). */
  hasPending(): boolean {
    return this.#encoder.held > 0 || this.#ledger.hasInMemory()
  }

  /** Process exit's flush (exit-hooks.ts). */
  flushForExit(timeoutMs: number): Promise<void> {
    return this.flush(timeoutMs)
  }

  /** Everything still only in memory goes to the spool now, synchronously; without a spool, to stderr. */
  persistSync(): void {
    this.#encoder.cut()
    this.#ledger.persistSync(this.settings.spoolDir, this.#problems)
  }

  #openSpool(dir: string): void {
    this.#ledger.spoolOpening = true
    this.#spoolOpened = SpoolQueue.open(dir, { maxBytes: this.settings.maxSpoolBytes, onWarning: (warning) => this.#problems.report(warning) }).then((spool) => {
      this.#ledger.spoolOpening = false
      if (this.#closed) return void spool.close()
      this.#ledger.useSpool(spool)
      for (const warning of spool.warnings) this.#problems.report(warning)
      const risks = storageRisksOf(spool.dir, { env: this.#env })
      if (risks.length > 0) this.#problems.report(ERR_CLIENT_SPOOL_UNSAFE.create(spool.dir, risks.join(' and ')))
      this.#delivery.kick()
    }, (error: TradetrailError) => {
      this.#ledger.spoolOpening = false
      this.#problems.report(error)
      this.#delivery.kick()
    })
  }

  /** Events refused at send() are given up: reported once, and each written to stderr. */
  #drainOverflow(): void {
    if (this.#overflow.length === 0) return
    const overflow = this.#overflow
    this.#overflow = []
    const error = this.#closed ? ERR_CLIENT_CLOSED.create() : ERR_CLIENT_QUEUE_FULL.create(this.settings.maxQueuedEvents)
    this.#problems.reportOnce(error)
    for (const record of overflow) this.#problems.drop(undefined, emergencyText(record, this.#defaults))
  }
}
