/**
 * The filters of GET /v1/events applied in memory to events as the feed delivers them, so that a
 * stream shows what /v1/events would list. `q` uses the same terms as the search index
 * (core/search-query.ts) over message, source, actor and data as JSON.
 */
import { type EventFilter, type FeedEvent, matchesSearch, parseSearch, severityRank } from '@tradetrail/core'

/** Whether an event passes the filter. */
export type EventMatch = (event: FeedEvent) => boolean

/** The test for `filter` (its seq bounds aside), or undefined when every event passes. */
export function streamMatcher(filter: EventFilter): EventMatch | undefined {
  const tests: EventMatch[] = []
  const { project, projects, type, severity, source, since, until, q } = filter
  if (project !== undefined) tests.push((e) => e.project === project)
  if (projects !== undefined) {
    const allowed = new Set(projects)
    tests.push((e) => allowed.has(e.project))
  }
  if (type !== undefined) tests.push((e) => e.type === type)
  if (severity !== undefined) {
    const min = severityRank(severity)
    tests.push((e) => severityRank(e.severity) >= min)
  }
  if (source !== undefined) tests.push((e) => e.source === source)
  if (since !== undefined) tests.push((e) => e.tsKey >= since)
  if (until !== undefined) tests.push((e) => e.tsKey < until)
  if (q !== undefined && q.trim() !== '') {
    const terms = parseSearch(q)
    tests.push((e) => {
      const { message, source: src, actor, data } = e.event()
      return matchesSearch(terms, [message, src ?? '', actor ?? '', data === undefined ? '' : JSON.stringify(data)])
    })
  }
  if (tests.length === 0) return undefined
  if (tests.length === 1) return tests[0]
  return (e) => tests.every((t) => t(e))
}
