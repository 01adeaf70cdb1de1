/** POST /v1/events: parse (request-body.ts), authorize (the ingest or admin scope), then ingestEvents. */
import type { FastifyPluginAsync } from 'fastify'
import { type IngestAnswer, ingestEvents } from './ingest.ts'
import { type RouteDeps, WRITE } from './collector.ts'
import { strictParams } from './query-params.ts'

export const ingestRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { trail, clock, metrics, config } = deps
  const ingestDeps = {
    submit: trail.submit, clock, metrics, maxBatchEvents: config.maxBatchEvents, clockSkewMs: config.clockSkewMs,
  }
  app.post('/v1/events', { config: { scopes: WRITE, stampArrival: true } }, async (request): Promise<IngestAnswer> => {
    strictParams(request.query, [])
    const body = Array.isArray(request.body) || typeof request.body !== 'object' || request.body === null ? request.body : [request.body]
    const result = await ingestEvents(ingestDeps, request.token!, body, request.headers)
    // t1 and t2 of the client's NTP-style exchange (clock-report.ts); t2 is taken after the commit.
    return { ...result, clock: { received_us: request.arrivedMicros, answered_us: clock.nowMicros() } }
  })
}
