/**
 * The AuditClient as the client benches use it: pointed at a collector a bench started, its
 * spool in the bench's temp directory, no boot event and no exit hooks, every reported problem
 * counted by code; and the check that ends those benches, that every event sent was stored.
 */
import { AuditClient, type AuditClientOptions } from '@tradetrail/client'
import { type StartedCollector, storedFor } from './collector-child.ts'

export interface BenchClient {
  client: AuditClient
  /** Problems reported through onError, by code. */
  errors: Map<string, number>
}

export interface Delivery {
  expected: number
  acknowledged: number
  stored: number
  dropped: number
  /** Still in memory or in the spool. */
  undelivered: number
  /** Requests the collector did not acknowledge (retried). */
  failedAttempts: number
  errors: Record<string, number>
  /** Every event acknowledged and stored exactly once, none dropped, none left. */
  complete: boolean
}

export function startClient(collector: StartedCollector, project: string, spoolDir: string, options: Partial<AuditClientOptions> = {}): BenchClient {
  const errors = new Map<string, number>()
  const client = new AuditClient({
    url: collector.url, token: collector.token, project, spoolDir, boot: false, handleExit: false, ...options,
    onError: (error) => errors.set(error.code, (errors.get(error.code) ?? 0) + 1),
  })
  return { client, errors }
}

/**
 * What became of `expected` events, asked once the client has flushed: complete when the
 * client had every one acknowledged, dropped none, and the collector stores that many for `project`.
 */
export async function deliveryOf(client: AuditClient, collector: StartedCollector, project: string, expected: number, errors: Map<string, number>): Promise<Delivery> {
  const stats = client.stats()
  const stored = await storedFor(collector.url, collector.token, project)
  const undelivered = stats.queued + stats.spooled
  return {
    expected, acknowledged: stats.sent, stored, dropped: stats.dropped, undelivered, failedAttempts: stats.failed, errors: Object.fromEntries(errors),
    complete: stats.sent === expected && stored === expected && stats.dropped === 0 && undelivered === 0,
  }
}

/** The failure of a bench whose events were not all delivered, or undefined. */
export function deliveryFailure(label: string, delivery: Delivery): string | undefined {
  if (delivery.complete) return undefined
  const { expected, acknowledged, stored, dropped, undelivered } = delivery
  return `${label}: not every event was delivered (sent ${expected}, acknowledged ${acknowledged}, stored ${stored}, dropped ${dropped}, still undelivered ${undelivered})`
}

/**
 * Counts the client's `AUDIT_EMERGENCY` lines (one per dropped event, on stderr) instead of
 * printing them: at 100k events/s one lost second is ~27 MB of them, which would bury the
 * bench's output. Returns the count so far.
 */
export function countEmergencyLines(): () => number {
  let count = 0
  const write = process.stderr.write.bind(process.stderr) as (chunk: unknown, ...rest: unknown[]) => boolean
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
    if (typeof chunk === 'string' && chunk.startsWith('AUDIT_EMERGENCY ')) {
      count++
      return true
    }
    return write(chunk, ...rest)
  }) as typeof process.stderr.write
  return () => count
}
