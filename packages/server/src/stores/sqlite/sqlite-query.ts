/** SQL for the shared filters (EventFilter) over the events table. */
import { type EventFilter, parseSearch, severityRank } from '@tradetrail/core'

export interface SqlFilter {
  /** FROM clause, with the events table aliased `e`. */
  from: string
  /** WHERE clause (without the keyword), `1` when nothing filters. */
  where: string
  params: unknown[]
  /** Column that orders by seq; the FTS rowid when searching, so FTS5 walks its index in order. */
  seqColumn: string
  /** Whether the full-text index is read (so it must be caught up first). */
  searches: boolean
}

/** The FTS5 MATCH expression for a search string, or undefined when it holds no searchable word. */
export function ftsMatch(q: string): string | undefined {
  const terms = parseSearch(q)
  if (terms.length === 0) return undefined
  return terms.map((t) => `"${t.words.join(' ')}"${t.prefix ? '*' : ''}`).join(' AND ')
}

export function filterSql(filter: EventFilter): SqlFilter {
  const clauses: string[] = []
  const params: unknown[] = []
  let from = 'events e'
  let seqColumn = 'e.seq'
  if (filter.q !== undefined && filter.q.trim() !== '') {
    const match = ftsMatch(filter.q)
    if (match === undefined) {
      clauses.push('0') // something to search for, but no word in it: nothing matches
    } else {
      from = 'events_fts f JOIN events e ON e.seq = f.rowid'
      seqColumn = 'f.rowid'
      clauses.push('events_fts MATCH ?')
      params.push(match)
    }
  }
  if (filter.project !== undefined) { clauses.push('e.project = ?'); params.push(filter.project) }
  if (filter.projects !== undefined) { clauses.push('e.project IN (SELECT value FROM json_each(?))'); params.push(JSON.stringify(filter.projects)) }
  if (filter.type !== undefined) { clauses.push('e.type = ?'); params.push(filter.type) }
  if (filter.severity !== undefined) { clauses.push('e.severity >= ?'); params.push(severityRank(filter.severity)) }
  if (filter.source !== undefined) { clauses.push('e.source = ?'); params.push(filter.source) }
  if (filter.since !== undefined) { clauses.push('e.ts_key >= ?'); params.push(filter.since) }
  if (filter.until !== undefined) { clauses.push('e.ts_key < ?'); params.push(filter.until) }
  if (filter.afterSeq !== undefined) { clauses.push(`${seqColumn} > ?`); params.push(filter.afterSeq) }
  if (filter.beforeSeq !== undefined) { clauses.push(`${seqColumn} < ?`); params.push(filter.beforeSeq) }
  return { from, where: clauses.length > 0 ? clauses.join(' AND ') : '1', params, seqColumn, searches: seqColumn !== 'e.seq' }
}
