/** What the collector client and the file sink have in common, so a bot can swap one for the other. */
import type { SendOptions } from './event-record.ts'

/** Counters of a sink since it was made. */
export interface SinkStats {
  /** Events held in memory, not yet written anywhere durable. */
  queued: number
  /** Events in the local spool, waiting for the collector (always 0 for a file sink). */
  spooled: number
  /** Events the collector acknowledged (for a file sink: written to the file). */
  sent: number
  /** Failed attempts: requests the collector did not acknowledge, writes that failed. */
  failed: number
  /** Events given up: invalid, refused by the collector, or with nowhere left to keep them. */
  dropped: number
}

/** A destination for audit events. Nothing here throws or waits on I/O in `send()`. */
export interface AuditSink {
  /** Records one event; returns at once. */
  send(type: string, message: string, data?: Record<string, unknown>, options?: SendOptions): void
  /** Resolves when everything sent before the call is delivered, or kept durably on disk. */
  flush(): Promise<void>
  /** Flushes, then releases files, sockets and timers; later `send()` calls are dropped and reported. */
  close(): Promise<void>
  stats(): SinkStats
}
