/**
 * The read API (read or admin scope): events, one event, stats, summaries, exports, verification,
 * checkpoints. A read token limited to projects reads only theirs: the event routes narrow their
 * filter to them (readFilter), and the routes about the whole trail refuse it (`wholeTrail`).
 */
import { Readable } from 'node:stream'
import type { FastifyPluginAsync } from 'fastify'
import { CSV_HEADER, ERR_EVENT_NOT_FOUND, UUID_PATTERN, csvRow, jsonLine } from '@tradetrail/core'
import { mayRead, readFilter, readableProjects } from '../auth/tokens.ts'
import { checkpointsExport } from '../checkpoints-export.ts'
import { buildSummary, formatSummaryText, resolveDate, type ShownSummary, SUMMARY_PERIODS, type SummaryPeriod } from '../summary.ts'
import { type VerifyReport, verifyTrail } from '../verify-trail.ts'
import { READ, type RouteDeps } from './collector.ts'
import { filterFromQuery, httpFail, listQuery, nextCursor, strictParams } from './query-params.ts'

const ID = new RegExp(UUID_PATTERN)
/** A passed verification is recorded in the trail at most this often (a failed one always). */
const VERIFY_RECORD_INTERVAL_MS = 10 * 60_000

export const readRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { trail, clock } = deps
  const { store } = trail

  app.get('/v1/events', { config: { scopes: READ } }, async (request) => {
    const options = readFilter(request.token!, listQuery(request.query))
    const events = await store.query(options)
    return { events, next: nextCursor(options, events) }
  })
  app.get<{ Params: { id: string } }>('/v1/events/:id', { config: { scopes: READ } }, async (request) => {
    if (!ID.test(request.params.id)) throw httpFail('id', 'must be a lower-case UUID')
    const event = await store.get(request.params.id)
    // Another project's event is as absent as one never stored: a limited token learns nothing of it.
    if (event === undefined || !mayRead(request.token!, event.project)) throw ERR_EVENT_NOT_FOUND.create(request.params.id)
    return event
  })
  app.get('/v1/stats', { config: { scopes: READ } }, async (request) => store.stats(readFilter(request.token!, filterFromQuery(request.query).filter)))
  app.get('/v1/summary', { config: { scopes: READ } }, async (request) => {
    const params = strictParams(request.query, ['period', 'date'])
    const period = (params.period ?? 'day') as SummaryPeriod
    if (!SUMMARY_PERIODS.includes(period)) throw httpFail('period', `must be one of ${SUMMARY_PERIODS.join(', ')}`)
    let date: string
    try {
      date = resolveDate(params.date ?? 'today', clock.nowMicros() / 1000)
    } catch {
      throw httpFail('date', 'must be YYYY-MM-DD, today or yesterday')
    }
    const built = await buildSummary({ store, period, date, filter: readFilter(request.token!, {}) })
    // The chain's head and signature are the whole trail's, which a token limited to projects
    // may not see (GET /v1/checkpoints refuses it for the same reason).
    const { chain, ...rest } = built
    const summary: ShownSummary = readableProjects(request.token!) === undefined ? built : rest
    return { ...summary, text: formatSummaryText(summary) }
  })
  app.get('/v1/export', { config: { scopes: READ } }, async (request, reply) => {
    const { filter: asked, params } = filterFromQuery(request.query, ['format'])
    const filter = readFilter(request.token!, asked)
    const format = params.format ?? 'jsonl'
    if (format !== 'csv' && format !== 'jsonl') throw httpFail('format', 'must be csv or jsonl')
    const row = format === 'csv' ? csvRow : jsonLine
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield CSV_HEADER
      for await (const chunk of store.scan(filter)) {
        let text = ''
        for (const e of chunk) text += row(e)
        yield text
      }
    }
    void reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="tradetrail-export.${format}"`)
    return reply.send(Readable.from(lines()))
  })

  // One verification at a time, off the event loop: callers that arrive while one runs share its
  // report, and one that finds the trail as the last run left it gets that run's report. A run
  // is recorded in the trail at most once per VERIFY_RECORD_INTERVAL_MS, so that polling verify
  // neither grows the trail nor costs ingest a recomputation per request.
  let running: Promise<VerifyReport> | undefined
  let last: { head: number; report: VerifyReport } | undefined
  let recordedAt = -Infinity
  app.get('/v1/verify', { config: { scopes: READ, wholeTrail: true } }, async (request) => {
    strictParams(request.query, [])
    const head = (await store.head()).seq
    if (last !== undefined && last.head === head) return answer(last.report)
    running ??= (async () => {
      try {
        const report = await verifyTrail(store, trail.signer.publicKey, { workers: 1, lowPriority: true })
        const now = clock.nowMicros() / 1000
        if (!report.ok || now - recordedAt >= VERIFY_RECORD_INTERVAL_MS) {
          recordedAt = now
          await trail.record('verification_run', report.ok
            ? `Verification passed: ${report.checked} events, ${report.checkpoints.verified} checkpoints`
            : `Verification FAILED at seq ${report.problem!.seq}: ${report.problem!.message}`, { ok: report.ok, checked: report.checked, problem: report.problem, by: request.token!.id }, report.ok ? 'info' : 'critical')
        }
        last = { head: (await store.head()).seq, report }
        return report
      } finally {
        running = undefined
      }
    })()
    return answer(await running)
  })
  const answer = (report: VerifyReport): VerifyReport & { key_id: string; public_key: string } => ({ ...report, key_id: trail.signer.keyId, public_key: trail.signer.publicKeyPem })
  app.get('/v1/checkpoints', { config: { scopes: READ, wholeTrail: true } }, async (request) => {
    strictParams(request.query, [])
    return checkpointsExport(store, trail.signer)
  })
}
