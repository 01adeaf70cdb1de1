/** Query strings of the read endpoints: strict (unknown or repeated parameters are refused). */
import { ERR_QUERY_INVALID, type EventFilter, type QueryOptions } from '@tradetrail/core'
import { type Fail, type FilterInput, parseFilterInput, parseInteger } from '../filter-params.ts'

export const httpFail: Fail = (param, rule, value) => ERR_QUERY_INVALID.create(param, rule, value)

const FILTER_PARAMS = ['project', 'type', 'severity', 'source', 'since', 'until', 'q', 'after_seq'] as const

/** Checks that only `allowed` parameters appear, each once, and returns them as strings. */
export function strictParams(query: unknown, allowed: readonly string[]): Record<string, string> {
  const params: Record<string, string> = {}
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (!allowed.includes(key)) throw httpFail(key.slice(0, 40), `is not a parameter of this endpoint; known: ${allowed.join(', ')}`)
    if (typeof value !== 'string') throw httpFail(key, 'must be given once')
    params[key] = value
  }
  return params
}

export function filterFromQuery(query: unknown, extra: readonly string[] = []): { filter: EventFilter; params: Record<string, string> } {
  const params = strictParams(query, [...FILTER_PARAMS, ...extra])
  return { filter: parseFilterInput(params as FilterInput, httpFail), params }
}

/** GET /v1/events: the filters plus limit, order, before_seq and an opaque cursor from a previous page. */
export function listQuery(query: unknown): QueryOptions {
  const { filter, params } = filterFromQuery(query, ['limit', 'order', 'before_seq', 'cursor'])
  const options: QueryOptions = { ...filter, limit: params.limit === undefined ? 100 : parseInteger(params.limit, 'limit', httpFail, 1, 1000) }
  if (params.order !== undefined) {
    if (params.order !== 'asc' && params.order !== 'desc') throw httpFail('order', 'must be asc or desc')
    options.order = params.order
  }
  if (params.before_seq !== undefined) options.beforeSeq = parseInteger(params.before_seq, 'before_seq', httpFail, 1)
  if (params.cursor !== undefined) {
    const m = /^([ab])(\d{1,16})$/.exec(params.cursor)
    if (m === null) throw httpFail('cursor', 'must be the "next" value of a previous answer')
    if (m[1] === 'a') {
      options.afterSeq = Number(m[2])
      options.order = 'asc'
    } else {
      options.beforeSeq = Number(m[2])
      options.order = 'desc'
    }
  }
  if (options.afterSeq !== undefined && params.order === undefined) options.order = 'asc'
  return options
}

/** The cursor of the page after `events`, or null when this page was the last. */
export function nextCursor(options: QueryOptions, events: ReadonlyArray<{ seq: number }>): string | null {
  if (events.length < options.limit) return null
  const last = events[events.length - 1]!.seq
  return options.order === 'asc' ? `a${last}` : `b${last}`
}
