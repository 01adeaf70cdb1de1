/**
 * The filters of GET /v1/events, /v1/stats, /v1/export and the CLI's flags, parsed in one
 * place. The caller's `fail` makes the error, naming a parameter the way the caller spells
 * it (`since` or `--since`).
 */
import { type EventFilter, PROJECT_PATTERN, SEVERITIES, type Severity, TYPE_PATTERN, type TradetrailError, parseTimeBound } from '@tradetrail/core'

export interface FilterInput {
  project?: string
  type?: string
  severity?: string
  source?: string
  since?: string
  until?: string
  q?: string
  after_seq?: string
}

/** Makes the error for a bad parameter: `fail('since', 'must be …')`. */
export type Fail = (param: string, rule: string) => TradetrailError

const PROJECT = new RegExp(PROJECT_PATTERN)
const TYPE = new RegExp(TYPE_PATTERN)
const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES)

export function parseFilterInput(input: FilterInput, fail: Fail, nowMs: number = Date.now()): EventFilter {
  const filter: EventFilter = {}
  if (input.project !== undefined) {
    if (!PROJECT.test(input.project)) throw fail('project', 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." and "-"')
    filter.project = input.project
  }
  if (input.type !== undefined) {
    if (!TYPE.test(input.type)) throw fail('type', 'must look like trade_opened (lower-case letter, then a-z 0-9 _ . : -)')
    filter.type = input.type
  }
  if (input.severity !== undefined) {
    if (!SEVERITY_SET.has(input.severity)) throw fail('severity', `must be one of ${SEVERITIES.join(', ')}`)
    filter.severity = input.severity as Severity
  }
  if (input.source !== undefined) filter.source = input.source
  for (const bound of ['since', 'until'] as const) {
    const value = input[bound]
    if (value === undefined) continue
    const key = parseTimeBound(value, nowMs)
    if (key === undefined) throw fail(bound, `must be an RFC 3339 UTC time, a date (YYYY-MM-DD) or a duration ago like 30m, 2h, 7d; got "${value.slice(0, 64)}"`)
    filter[bound] = key
  }
  if (input.q !== undefined) {
    if (input.q.length > 1000) throw fail('q', 'must be at most 1000 characters')
    filter.q = input.q
  }
  if (input.after_seq !== undefined) filter.afterSeq = parseInteger(input.after_seq, 'after_seq', fail, 0)
  return filter
}

/** A whole number in [min, max]. */
export function parseInteger(value: string, param: string, fail: Fail, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value)
  if (!/^\d{1,16}$/.test(value) || n < min || n > max) throw fail(param, `must be a whole number from ${min} to ${max}, got "${value.slice(0, 32)}"`)
  return n
}
