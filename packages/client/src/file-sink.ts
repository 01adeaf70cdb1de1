/**
 * Seed 003's JSONL audit sink done right, for systems that run no collector: `send()` only
 * stamps and queues; on a later turn of the event loop the queue is encoded (wire format v1,
 * one event per line, exactly what the collector would be sent), checked as the collector
 * would check it, put in the chosen format (wire JSONL, or a seed's lines: seed-formats.ts)
 * and appended with async writes. Nothing reaches the caller: bad options,
 * a full disk, a read-only or vanished directory are reported through `onError`, and the
 * events that could not be written go to stderr as AUDIT_EMERGENCY lines; the file is opened
 * afresh on the next write, so the sink recovers once the disk is fixed. An 'exit' listener
 * writes what is still in memory synchronously, so `process.exit()` right after `send()`
 * loses nothing. The file reads back with `tradetrail import FILE`.
 */
import { dirname } from 'node:path'
import {
  ERR_CLIENT_CLOSED, ERR_CLIENT_QUEUE_FULL, ERR_EVENT_BAD_VALUE, ERR_SINK_UNSAFE_DIR, ERR_SINK_WRITE, MAX_DEPTH, type Problem,
  TradetrailError, prepareEvent, storageRisksOf,
} from '@tradetrail/core'
import { AuditFile } from './audit-file.ts'
import type { AuditSink, SinkStats } from './audit-sink.ts'
import { writeEmergency } from './emergency.ts'
import { type ErrorHandler, errorReporter } from './error-reporter.ts'
import { type EventRecord, type SendOptions, encodeEvent, recordEvent } from './event-record.ts'
import { type ExitParticipant, unwatchExit, watchExit } from './exit-hooks.ts'
import { type FileSinkOptions, type FileSinkSettings, resolveFileSinkOptions } from './file-sink-options.ts'
import { ioReason } from './io-reason.ts'
import { formatLine, initializedLine } from './seed-formats.ts'
import { emergencyText, unsendable } from './unsendable.ts'

export type { FileSinkOptions } from './file-sink-options.ts'

/** Most events encoded and written in one go, so a long queue does not hold the event loop. */
const MAX_BATCH = 1024

/** What `send()` refused outright (after close, or with the queue full), to be written to stderr. */
interface Refused {
  record: EventRecord
  closed: boolean
}


const OPEN_BRACE = 123
const OPEN_BRACKET = 91

/**
 * Whether the collector could refuse a line that encodeEvent accepted. encodeEvent leaves
 * to the collector: lone surrogates (JSON.stringify writes them as `\udxxx` escapes) and
 * nesting deeper than canonical JSON takes. Only such lines pay for the full check, which
 * costs more than encoding; the fuzz test holds this list to the collector's rules.
 */
function mayBeRefused(record: EventRecord, line: string): boolean {
  return line.includes('\\ud') || tooDeep(record.data) || tooDeep(record.metadata)
}

function tooDeep(json: string | Error | undefined): boolean {
  if (typeof json !== 'string') return false
  // Nesting past MAX_DEPTH takes more than two characters a level: most snapshots are shorter.
  if (json.length <= 2 * MAX_DEPTH) return false
  // Brackets anywhere (in strings too) bound the depth from above: counting them is enough.
  let brackets = 0
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if ((c === OPEN_BRACE || c === OPEN_BRACKET) && ++brackets > MAX_DEPTH) return true
  }
  return false
}

/**
 * The collector's own check of an encoded line, where it could fail (mayBeRefused), so that
 * the file holds nothing `tradetrail import` or a collector would refuse.
 */
function collectorCheck(record: EventRecord, line: string): TradetrailError | undefined {
  if (!mayBeRefused(record, line)) return undefined
  const problems: Problem[] = []
  try {
    if (prepareEvent(JSON.parse(line), 0, record.micros, problems) !== undefined) return undefined
  } catch (error) {
    return ERR_EVENT_BAD_VALUE.create('event', `could not be checked (${String(error)})`)
  }
  const first = problems[0]!
  return new TradetrailError(first.code, 400, first.message, problems)
}

/** An append-only JSONL audit file; see the module comment. */
export class FileSink implements AuditSink, ExitParticipant {
  /** The options as checked, frozen. */
  readonly settings: FileSinkSettings
  readonly #report: ErrorHandler
  readonly #file: AuditFile | undefined
  readonly #started: Promise<void>
  /** Time given to the file on beforeExit and SIGTERM/SIGINT before the rest is written synchronously. */
  readonly exitFlushTimeoutMs = 2000

  #pending: EventRecord[] = []
  #refused: Refused[] = []
  #scheduled = false
  #draining = false
  #closed = false
  #closing: Promise<void> | undefined
  /** The message of the write failure last reported, until a write succeeds: one report per outage and cause. */
  #failing: string | undefined
  /** Events queued since the start, and how many of those are written or given up. */
  #recorded = 0
  #settled = 0
  #waiters: Array<{ target: number; resolve: () => void }> = []
  #sent = 0
  #failed = 0
  #dropped = 0

  /** Never throws: problems with the options or the path are reported through `onError`. */
  constructor(options: FileSinkOptions) {
    const { settings, problems, onError } = resolveFileSinkOptions(options)
    this.settings = settings
    this.#report = errorReporter('tradetrail-file-sink', onError)
    // Reported on a later turn, so that the caller holds the sink when its hook runs.
    for (const problem of problems) queueMicrotask(() => this.#report(problem))
    if (this.settings.path !== undefined) {
      const { path, maxFileBytes, fsync, format, defaults } = this.settings
      const firstLine = format === 'seed003' ? () => initializedLine(defaults.project, path) : undefined
      this.#file = new AuditFile({ path, maxFileBytes, fsync, firstLine })
    }
    this.#started = this.#start()
    watchExit(this)
  }

  /** Absolute path of the live file, or undefined when events go to stderr (bad project or path). */
  get path(): string | undefined {
    return this.settings.path
  }

  /**
   * Records one event and returns at once: the time is taken now, `data` and
   * `options.metadata` are copied now (as JSON), and the rest happens off this path.
   * It never throws; problems go to `onError` and the counters.
   */
  send(type: string, message: string, data?: Record<string, unknown>, options?: SendOptions): void {
    try {
      const record = recordEvent(type, message, data, options)
      if (this.#closed || this.#recorded - this.#settled >= this.settings.maxQueuedEvents) {
        this.#dropped++
        this.#refused.push({ record, closed: this.#closed })
      } else {
        this.#recorded++
        this.#pending.push(record)
      }
      if (!this.#scheduled) {
        this.#scheduled = true
        const immediate = setImmediate(this.#kick)
        // While open, the 'exit' listener writes what a natural exit would leave behind.
        if (!this.#closed) immediate.unref()
      }
    } catch (error) {
      // Only a hostile argument (a Proxy whose traps throw) gets here; it cannot be recorded.
      this.#dropped++
      queueMicrotask(() => this.#report(ERR_EVENT_BAD_VALUE.create('options', `could not be read (${String(error)})`)))
    }
  }

  /** Resolves once every event sent before the call is in the file (fdatasync'd with `fsync`) or given up. Never rejects. */
  flush(): Promise<void> {
    const target = this.#recorded
    if (this.#settled >= target) return Promise.resolve()
    this.#kick()
    return new Promise((resolve) => this.#waiters.push({ target, resolve }))
  }

  /** Flushes, closes the file and removes the 'exit' listener; later `send()` calls are dropped and reported. */
  close(): Promise<void> {
    this.#closed = true
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    await this.#started
    await this.flush()
    try {
      await this.#file?.close()
    } catch (error) {
      this.#report(ERR_SINK_WRITE.create(this.#file!.path, `closing it failed: ${ioReason(error)}`))
    }
    unwatchExit(this)
  }

  /** `sent` counts lines written to the file; `dropped` events that went to stderr instead. */
  stats(): SinkStats {
    return { queued: this.#recorded - this.#settled, spooled: 0, sent: this.#sent, failed: this.#failed, dropped: this.#dropped }
  }

  hasPending(): boolean {
    return this.#recorded > this.#settled || this.#refused.length > 0
  }

  /** `flush()`, given up after `timeoutMs`; what is left is written by `persistSync()`. */
  flushForExit(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    return Promise.race([this.flush(), new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })])
      .finally(() => clearTimeout(timer))
  }

  persistSync(): void {
    this.flushSync()
  }

  /**
   * Writes everything still in memory synchronously, or to stderr when the file cannot take
   * it. Runs on 'exit' and after the bounded flush on SIGTERM/SIGINT (exit-hooks.ts); the
   * async path carries on after it.
   * @internal
   */
  flushSync(): void {
    try {
      this.#writeRefused()
      const file = this.#file
      const records = this.#pending
      this.#pending = []
      const lines = [...(file?.takeUnwritten() ?? []), ...this.#encodeAll(records)]
      if (file === undefined) {
        this.#giveUp(lines)
      } else if (lines.length > 0) {
        try {
          file.appendSync(lines)
          this.#sent += lines.length
        } catch (error) {
          this.#writeFailed(file, error, lines)
        }
      }
      this.#settle(records.length)
    } catch {
      // An exit listener that throws would change the process's exit; nothing is worth that.
    }
  }

  async #start(): Promise<void> {
    const file = this.#file
    if (file === undefined) return
    try {
      await file.open()
    } catch (error) {
      // Reported now so a misconfiguration shows before the first event; the storage check waits for a next start.
      this.#reportWriteError(file, error)
      return
    }
    const dir = dirname(file.path)
    // Sync reads of /proc/mounts and /.dockerenv: once per sink, from memory-backed files.
    const risks = storageRisksOf(dir, this.settings.storage)
    if (risks.length > 0) this.#report(ERR_SINK_UNSAFE_DIR.create(dir, risks.join(' and ')))
  }

  readonly #kick = (): void => {
    this.#scheduled = false
    this.#writeRefused()
    if (!this.#draining && this.#pending.length > 0) void this.#drain()
  }

  async #drain(): Promise<void> {
    this.#draining = true
    try {
      await this.#started
      while (this.#pending.length > 0) {
        let records = this.#pending
        if (records.length > MAX_BATCH) records = records.splice(0, MAX_BATCH)
        else this.#pending = []
        await this.#writeBatch(records)
      }
    } finally {
      this.#draining = false
    }
  }

  async #writeBatch(records: EventRecord[]): Promise<void> {
    try {
      const lines = this.#encodeAll(records)
      const file = this.#file
      if (file === undefined) return this.#giveUp(lines)
      if (lines.length === 0) return
      const outcome = await file.append(lines)
      this.#sent += outcome.written
      if (outcome.error === undefined) this.#failing = undefined
      // Taken over: the 'exit' listener has written (or given up) the rest.
      else if (!outcome.takenOver) this.#writeFailed(file, outcome.error, lines.slice(outcome.written))
    } catch (error) {
      // A bug of ours; the events are still owed an account.
      this.#report(ERR_SINK_WRITE.create(this.settings.path ?? 'stderr', `internal error: ${String(error)}`))
    } finally {
      this.#settle(records.length)
    }
  }

  /** Lines for the valid records; each invalid one is reported, counted and written to stderr. */
  #encodeAll(records: readonly EventRecord[]): string[] {
    const lines: string[] = []
    for (const record of records) {
      const line = this.#encode(record)
      if (line !== undefined) lines.push(line)
    }
    return lines
  }

  #encode(record: EventRecord): string | undefined {
    const line = encodeEvent(record, this.settings.defaults)
    if (typeof line !== 'string') {
      this.#invalid(line, unsendable(record, this.settings.defaults.project, line))
      return undefined
    }
    // Without a file everything goes to stderr anyway; checking would only repeat the options problem per event.
    if (this.#file === undefined) return line
    const problem = collectorCheck(record, line)
    if (problem === undefined) return formatLine(this.settings.format, line)
    this.#invalid(problem, line)
    return undefined
  }


  #invalid(error: TradetrailError, eventJson: string): void {
    this.#dropped++
    this.#report(error)
    writeEmergency(eventJson)
  }

  #writeFailed(file: AuditFile, error: unknown, lines: readonly string[]): void {
    this.#failed++
    this.#reportWriteError(file, error)
    this.#giveUp(lines)
  }

  #reportWriteError(file: AuditFile, error: unknown): void {
    const problem = ERR_SINK_WRITE.create(file.path, this.#because(error))
    if (problem.message === this.#failing) return
    this.#failing = problem.message
    this.#report(problem)
  }

  #because(error: unknown): string {
    // Naming the variable saves a search when the path came from the environment.
    const { pathFrom } = this.settings
    return pathFrom.endsWith('_PATH') ? `${ioReason(error)} (path set by ${pathFrom})` : ioReason(error)
  }

  #giveUp(lines: readonly string[]): void {
    this.#dropped += lines.length
    for (const line of lines) writeEmergency(line)
  }

  #writeRefused(): void {
    if (this.#refused.length === 0) return
    const refused = this.#refused
    this.#refused = []
    // One report per kind and turn: a bot sending into a closed or stuck sink would flood onError.
    if (refused.some((r) => r.closed)) this.#report(ERR_CLIENT_CLOSED.create())
    if (refused.some((r) => !r.closed)) this.#report(ERR_CLIENT_QUEUE_FULL.create(this.settings.maxQueuedEvents))
    for (const { record } of refused) writeEmergency(emergencyText(record, this.settings.defaults))
  }

  #settle(count: number): void {
    this.#settled += count
    while (this.#waiters.length > 0 && this.#waiters[0]!.target <= this.#settled) this.#waiters.shift()!.resolve()
  }
}
