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

/**
 * Makes the error for a bad parameter: `fail('since', FILTER_RULES.time, value)`. `rule` is one of
 * FILTER_RULES (or, for the caller's own parameters, its own constants); `value` is quoted as data.
 */
export type Fail = (param: string, rule: string, value?: string) => TradetrailError

/** The rules of the filters, written once for the HTTP API and the CLI alike. */
export const FILTER_RULES = {
  project: 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." and "-"',
  type: 'must look like trade_opened (lower-case letter, then a-z 0-9 _ . : -)',
  severity: `must be one of ${SEVERITIES.join(', ')}`,
  time: 'must be an RFC 3339 UTC time, a date (YYYY-MM-DD) or a duration ago like 30m, 2h, 7d',
  q: 'must be at most 1000 characters',
} as const

/** The rule of a whole-number parameter: data (the bounds) in a fixed sentence. */
export const wholeNumberRule = (min: number, max: number): string => `must be a whole number from ${min} to ${max}`

const PROJECT = new RegExp(PROJECT_PATTERN)
const TYPE = new RegExp(TYPE_PATTERN)
const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES)

export function parseFilterInput(input: FilterInput, fail: Fail, nowMs: number = Date.now()): EventFilter {
  const filter: EventFilter = {}
  if (input.project !== undefined) {
    if (!PROJECT.test(input.project)) throw fail('project', FILTER_RULES.project, input.project)
    filter.project = input.project
  }
  if (input.type !== undefined) {
    if (!TYPE.test(input.type)) throw fail('type', FILTER_RULES.type, input.type)
    filter.type = input.type
  }
  if (input.severity !== undefined) {
    if (!SEVERITY_SET.has(input.severity)) throw fail('severity', FILTER_RULES.severity, input.severity)
    filter.severity = input.severity as Severity
  }
  if (input.source !== undefined) filter.source = input.source
  for (const bound of ['since', 'until'] as const) {
    const value = input[bound]
    if (value === undefined) continue
    const key = parseTimeBound(value, nowMs)
    if (key === undefined) throw fail(bound, FILTER_RULES.time, value)
    filter[bound] = key
  }
  if (input.q !== undefined) {
    if (input.q.length > 1000) throw fail('q', FILTER_RULES.q)
    filter.q = input.q
  }
  if (input.after_seq !== undefined) filter.afterSeq = parseInteger(input.after_seq, 'after_seq', fail, 0)
  return filter
}

/** A whole number in [min, max]. */
export function parseInteger(value: string, param: string, fail: Fail, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value)
  if (!/^\d{1,16}$/.test(value) || n < min || n > max) throw fail(param, wholeNumberRule(min, max), value)
  return n
}
