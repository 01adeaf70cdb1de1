/**
 * POST /v1/events, past parsing and authentication: validate the whole batch, check the
 * token may write each event's project, flag privilege violations (stored, never dropped),
 * and commit durably. Nothing is stored unless everything is valid.
 */
import {
  type AppendResult, type Clock, ERR_AUTH_PROJECT, type PreparedEvent, type Problem,
  TRADING_EVENT_TYPES, type TokenInfo, validateBatch,
} from '@tradetrail/core'
import { grants, mayWrite } from '../auth/tokens.ts'
import type { CollectorMetrics } from './metrics.ts'

export interface IngestDeps {
  submit: (batch: readonly PreparedEvent[]) => Promise<AppendResult>
  clock: Clock
  metrics: CollectorMetrics
  maxBatchEvents: number
}

export async function ingestEvents(deps: IngestDeps, token: TokenInfo, body: unknown): Promise<AppendResult> {
  let batch: PreparedEvent[]
  try {
    batch = validateBatch(body, { nowMicros: deps.clock.nowMicros(), maxEvents: deps.maxBatchEvents })
  } catch (error) {
    deps.metrics.rejected.inc({ code: (error as { code?: string }).code ?? 'unknown' }, Array.isArray(body) ? body.length : 1)
    throw error
  }
  const refused: Problem[] = []
  for (let i = 0; i < batch.length; i++) {
    const event = batch[i]!
    if (!mayWrite(token, event.project)) {
      refused.push({ index: i, path: '/project', code: ERR_AUTH_PROJECT.code, message: ERR_AUTH_PROJECT.create(event.project).message })
    } else if (TRADING_EVENT_TYPES.has(event.type) && !grants(token, 'execute_trade')) {
      event.flags = ['privilege_violation']
      deps.metrics.privilegeViolations.inc({ project: event.project })
    }
  }
  if (refused.length > 0) {
    deps.metrics.rejected.inc({ code: ERR_AUTH_PROJECT.code }, batch.length)
    throw ERR_AUTH_PROJECT.withProblems(refused, batch[refused[0]!.index!]!.project)
  }
  const result = await deps.submit(batch)
  deps.metrics.ingested.inc(result.accepted)
  if (result.duplicates > 0) deps.metrics.duplicates.inc(result.duplicates)
  return result
}
