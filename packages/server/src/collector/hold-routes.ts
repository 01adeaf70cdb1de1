/** Legal holds (admin scope): place, list, release; each change is recorded in the trail with the token that made it. */
import type { FastifyPluginAsync } from 'fastify'
import { ERR_HOLD_INVALID, type HoldRule } from '@tradetrail/core'
import { type HoldFail, type HoldRequest, placeHold, releaseHold } from '../legal-holds.ts'
import { ADMIN, type RouteDeps } from './collector.ts'

const httpFail: HoldFail = (field, rule, value) => ERR_HOLD_INVALID.create(field, rule, value)

/** A JSON object body of string fields among `known` (absent or null: not given). */
function stringFields(body: unknown, known: ReadonlyArray<keyof HoldRequest>, unknown: HoldRule): HoldRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ERR_HOLD_INVALID.create('the body', 'body')
  const request: HoldRequest = {}
  for (const [key, value] of Object.entries(body)) {
    if (!(known as readonly string[]).includes(key)) throw ERR_HOLD_INVALID.create(`"${key}"`, unknown)
    if (value === null || value === undefined) continue
    const field = key as keyof HoldRequest
    if (typeof value !== 'string') throw httpFail(field, field === 'reason' ? 'reason' : field === 'project' ? 'project' : 'time', JSON.stringify(value))
    request[field] = value
  }
  return request
}

export const holdRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { trail } = deps
  app.get('/v1/holds', { config: { scopes: ADMIN } }, async () => ({ holds: await trail.holds.listHolds() }))
  app.post<{ Body: unknown }>('/v1/holds', { config: { scopes: ADMIN } }, async (request, reply) => {
    const hold = await placeHold(trail, stringFields(request.body, ['project', 'from', 'to', 'reason'], 'unknown'), `token:${request.token!.id}`, httpFail)
    return reply.code(201).send(hold)
  })
  app.post<{ Params: { id: string }; Body: unknown }>('/v1/holds/:id/release', { config: { scopes: ADMIN } }, async (request) => {
    const { reason } = stringFields(request.body ?? {}, ['reason'], 'unknownRelease')
    return releaseHold(trail, request.params.id, reason, `token:${request.token!.id}`, httpFail)
  })
}
