/** Token administration (admin scope): create, list, revoke; each change is recorded in the trail. */
import type { FastifyPluginAsync } from 'fastify'
import { ERR_TOKEN_BODY, ERR_TOKEN_FIELD, type Scope } from '@tradetrail/core'
import { issueToken, revokeToken } from '../auth/tokens.ts'
import { ADMIN, type RouteDeps } from './collector.ts'

const FIELDS = ['scope', 'projects', 'privileges', 'label']

export const tokenRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { tokens, trail, clock } = deps
  app.post<{ Body: unknown }>('/v1/tokens', { config: { scopes: ADMIN } }, async (request, reply) => {
    const body = request.body as Record<string, unknown> | null
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ERR_TOKEN_BODY.create()
    for (const key of Object.keys(body)) if (!FIELDS.includes(key)) throw ERR_TOKEN_FIELD.create(key, 'unknown')
    const list = (key: string): string[] | undefined => {
      const value = body[key]
      if (value === undefined) return undefined
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw ERR_TOKEN_FIELD.create(key, 'strings')
      return value
    }
    if (body.label !== undefined && body.label !== null && typeof body.label !== 'string') throw ERR_TOKEN_FIELD.create('label', 'string')
    const issued = await issueToken(tokens, { scope: body.scope as Scope, projects: list('projects'), privileges: list('privileges'), label: body.label as string | undefined }, clock)
    const { token: _secret, ...info } = issued
    await trail.record('token_created', `Token ${issued.id} created (${issued.scope})`, { ...info, by: request.token!.id })
    return reply.code(201).send(issued)
  })
  app.get('/v1/tokens', { config: { scopes: ADMIN } }, async () => ({ tokens: await tokens.listTokens() }))
  app.delete<{ Params: { id: string } }>('/v1/tokens/:id', { config: { scopes: ADMIN } }, async (request) => {
    await revokeToken(tokens, request.params.id, clock)
    await trail.record('token_revoked', `Token ${request.params.id} revoked`, { id: request.params.id, by: request.token!.id })
    return { id: request.params.id, revoked: true }
  })
}
