/**
 * POST /v1/events, past parsing and authentication: read the client's clock report, validate
 * the whole batch, check the token may write each event's project, flag privilege violations
 * and clock skew (stored, never dropped), and commit durably. Nothing is stored unless
 * everything is valid.
 */
import type { IncomingHttpHeaders } from 'node:http'
import {
  type AppendResult, type Clock, ERR_AUTH_PROJECT, ERR_AUTH_RESERVED_PROJECT, type PreparedEvent, type Problem, SELF_PROJECT,
  TRADING_EVENT_TYPES, type TokenInfo, validateBatch,
} from '@tradetrail/core'
import { grants, mayWrite } from '../auth/tokens.ts'
import { type ClockReport, isClockSkewed, parseClockReport } from './clock-report.ts'
import type { CollectorMetrics } from './metrics.ts'

export interface IngestDeps {
  /** Commits durably, naming who submitted the batch (the composition root's Trail.submit). */
  submit: (batch: readonly PreparedEvent[], submitter: string) => Promise<AppendResult>
  clock: Clock
  metrics: CollectorMetrics
  maxBatchEvents: number
  /** Flag a batch `clock_skew` when its client reports |offset| above this (ms); 0 never flags. */
  clockSkewMs: number
}

/** The answer of POST /v1/events: the store's counts, and t1/t2 of the client's clock exchange (clock-report.ts). */
export interface IngestAnswer extends AppendResult {
  /** µs since the epoch on the collector's clock: when the request's headers arrived, when the answer was made (after the commit). */
  clock: { received_us: number; answered_us: number }
}

/** Validates, flags and commits one batch; resolves with the store's counts once it is durable. */
export async function ingestEvents(deps: IngestDeps, token: TokenInfo, body: unknown, headers: IncomingHttpHeaders = {}): Promise<AppendResult> {
  let report: ClockReport | undefined
  let batch: PreparedEvent[]
  try {
    report = parseClockReport(headers)
    batch = validateBatch(body, { nowMicros: deps.clock.nowMicros(), maxEvents: deps.maxBatchEvents })
  } catch (error) {
    deps.metrics.rejected.inc({ code: (error as { code?: string }).code ?? 'unknown' }, Array.isArray(body) ? body.length : 1)
    throw error
  }
  const skewed = isClockSkewed(report, deps.clockSkewMs)
  // Events per project, for the per-project clock metrics; only needed when a report came.
  const projects = report === undefined ? undefined : new Map<string, number>()
  const mayTrade = grants(token, 'execute_trade')
  const refused: Problem[] = []
  for (let i = 0; i < batch.length; i++) {
    const event = batch[i]!
    if (event.project === SELF_PROJECT) {
      refused.push({ index: i, path: '/project', code: ERR_AUTH_RESERVED_PROJECT.code, message: ERR_AUTH_RESERVED_PROJECT.create(event.project).message })
      continue
    }
    if (!mayWrite(token, event.project)) {
      refused.push({ index: i, path: '/project', code: ERR_AUTH_PROJECT.code, message: ERR_AUTH_PROJECT.create(event.project).message })
      continue
    }
    const violation = !mayTrade && TRADING_EVENT_TYPES.has(event.type)
    if (violation) deps.metrics.privilegeViolations.inc({ project: event.project })
    // Flags are sorted: the chain hash takes them in the order given.
    if (skewed) event.flags = violation ? ['clock_skew', 'privilege_violation'] : ['clock_skew']
    else if (violation) event.flags = ['privilege_violation']
    projects?.set(event.project, (projects.get(event.project) ?? 0) + 1)
  }
  if (refused.length > 0) {
    const first = refused[0]!
    const error = first.code === ERR_AUTH_RESERVED_PROJECT.code ? ERR_AUTH_RESERVED_PROJECT : ERR_AUTH_PROJECT
    deps.metrics.rejected.inc({ code: error.code }, batch.length)
    throw error.withProblems(refused, batch[first.index!]!.project)
  }
  const result = await deps.submit(batch, `token:${token.id}`)
  deps.metrics.ingested.inc(result.accepted)
  if (result.duplicates > 0) deps.metrics.duplicates.inc(result.duplicates)
  // Project labels are set only here, past authorization, like the privilege counter's.
  if (projects !== undefined) {
    for (const [project, events] of projects) {
      deps.metrics.clientClockOffset.set({ project }, report!.offsetMicros / 1e6)
      if (skewed) deps.metrics.clockSkewEvents.inc({ project }, events)
    }
  }
  return result
}
