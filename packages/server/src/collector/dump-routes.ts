/** `GET /v1/dump` (read scope): seed 002's dump of the last hours, streamed; the shape is in seed-dump.ts and docs/api.md. */
import { Readable } from 'node:stream'
import type { FastifyPluginAsync } from 'fastify'
import { readableProjects } from '../auth/tokens.ts'
import { parseInteger } from '../filter-params.ts'
import { DUMP_HOURS, dumpChunks } from '../seed-dump.ts'
import { READ, type RouteDeps } from './collector.ts'
import { httpFail, strictParams } from './query-params.ts'

export const dumpRoutes: FastifyPluginAsync<RouteDeps> = async (app, { trail, clock }) => {
  app.get('/v1/dump', { config: { scopes: READ } }, async (request, reply) => {
    const params = strictParams(request.query, ['hours'])
    const hours = params.hours === undefined ? DUMP_HOURS.default : parseInteger(params.hours, 'hours', httpFail, DUMP_HOURS.min, DUMP_HOURS.max)
    const chunks = dumpChunks(trail.store, { hours, nowMs: clock.nowMicros() / 1000, projects: readableProjects(request.token!) })
    void reply.type('application/json; charset=utf-8')
    return reply.send(Readable.from(chunks))
  })
}
