/** Token administration (admin scope): create, list, rotate, revoke; each change is recorded in the trail. */
import type { FastifyPluginAsync } from 'fastify'
import { ERR_TOKEN_BODY, ERR_TOKEN_FIELD, type Scope, type TokenFieldRule } from '@tradetrail/core'
import { type TokenEvent, tokenCreated, tokenRevoked, tokenRotated } from '../auth/token-events.ts'
import { issueToken, revokeToken, rotateToken } from '../auth/tokens.ts'
import { ADMIN, type RouteDeps } from './collector.ts'

const CREATE_FIELDS = ['scope', 'projects', 'privileges', 'label', 'expires_in', 'expires_at']
const ROTATE_FIELDS = ['grace', 'expires_in', 'expires_at']

/** The fields of a JSON object body, each checked for its type as it is read. */
function fields(body: unknown, known: readonly string[], unknown: TokenFieldRule) {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ERR_TOKEN_BODY.create()
  const record = body as Record<string, unknown>
  for (const key of Object.keys(record)) if (!known.includes(key)) throw ERR_TOKEN_FIELD.create(key, unknown)
  return {
    list(key: string): string[] | undefined {
      const value = record[key]
      if (value === undefined) return undefined
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw ERR_TOKEN_FIELD.create(key, 'strings')
      return value
    },
    /** A string, or undefined when absent or null. */
    text(key: string): string | undefined {
      const value = record[key]
      if (value === undefined || value === null) return undefined
      if (typeof value !== 'string') throw ERR_TOKEN_FIELD.create(key, 'string')
      return value
    },
    raw: (key: string): unknown => record[key],
  }
}

export const tokenRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { tokens, trail, clock } = deps
  const record = async (event: TokenEvent, by: string): Promise<void> => {
    await trail.record(event.type, event.message, { ...event.data, by })
  }
  app.post<{ Body: unknown }>('/v1/tokens', { config: { scopes: ADMIN } }, async (request, reply) => {
    const body = fields(request.body, CREATE_FIELDS, 'unknown')
    const issued = await issueToken(tokens, {
      scope: body.raw('scope') as Scope, projects: body.list('projects'), privileges: body.list('privileges'), label: body.text('label'),
      expires_in: body.text('expires_in'), expires_at: body.text('expires_at'),
    }, clock)
    await record(tokenCreated(issued), request.token!.id)
    return reply.code(201).send(issued)
  })
  app.get('/v1/tokens', { config: { scopes: ADMIN } }, async () => ({ tokens: await tokens.listTokens() }))
  // No body is a rotation with the defaults.
  app.post<{ Params: { id: string }; Body: unknown }>('/v1/tokens/:id/rotate', { config: { scopes: ADMIN } }, async (request, reply) => {
    const body = fields(request.body ?? {}, ROTATE_FIELDS, 'unknownRotation')
    const rotated = await rotateToken(tokens, request.params.id, { grace: body.text('grace'), expires_in: body.text('expires_in'), expires_at: body.text('expires_at') }, clock)
    await record(tokenRotated(rotated), request.token!.id)
    return reply.code(201).send(rotated)
  })
  app.delete<{ Params: { id: string } }>('/v1/tokens/:id', { config: { scopes: ADMIN } }, async (request) => {
    await revokeToken(tokens, request.params.id, clock)
    await record(tokenRevoked(request.params.id), request.token!.id)
    return { id: request.params.id, revoked: true }
  })
}
