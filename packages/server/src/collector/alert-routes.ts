/** Alerts: list (read, every project), acknowledge and resolve (admin); each change is recorded in the trail with the token that made it. */
import type { FastifyPluginAsync } from 'fastify'
import { ALERT_STATES, type AlertState, ERR_ALERT_INVALID } from '@tradetrail/core'
import { parseInteger } from '../filter-params.ts'
import { type AlertFail, acknowledgeAlert, resolveAlert } from '../notify/alert-actions.ts'
import { ADMIN, READ, type RouteDeps } from './collector.ts'
import { httpFail, strictParams } from './query-params.ts'

const bodyFail: AlertFail = (field, rule, value) => ERR_ALERT_INVALID.create(`"${field}"`, rule, value)

/** The note of an acknowledgement or a resolution: no body, or a JSON object with only `note`. */
function noteOf(body: unknown): string | undefined {
  if (body === undefined || body === null) return undefined
  if (typeof body !== 'object' || Array.isArray(body)) throw ERR_ALERT_INVALID.create('the body', 'body')
  for (const key of Object.keys(body)) if (key !== 'note') throw ERR_ALERT_INVALID.create(`"${key}"`, 'unknown')
  const { note } = body as { note?: unknown }
  if (note === undefined || note === null) return undefined
  if (typeof note !== 'string') throw bodyFail('note', 'note', JSON.stringify(note))
  return note
}

/** `state=open,acknowledged`: the states asked for (none: every state). */
export function parseStates(raw: string | undefined, fail: (value: string) => Error): AlertState[] | undefined {
  if (raw === undefined) return undefined
  const states = raw.split(',').map((s) => s.trim())
  for (const s of states) if (!(ALERT_STATES as readonly string[]).includes(s)) throw fail(raw)
  return states as AlertState[]
}

export const alertRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { trail } = deps
  app.get('/v1/alerts', { config: { scopes: READ, wholeTrail: true } }, async (request) => {
    const params = strictParams(request.query, ['state', 'limit'])
    const states = parseStates(params.state, (value) => httpFail('state', `must be a comma-separated list of ${ALERT_STATES.join(', ')}`, value))
    const limit = params.limit === undefined ? 100 : parseInteger(params.limit, 'limit', httpFail, 1, 1000)
    return { alerts: await trail.alerts.listAlerts({ states, limit }) }
  })
  for (const [action, act] of [['ack', acknowledgeAlert], ['resolve', resolveAlert]] as const) {
    app.post<{ Params: { id: string }; Body: unknown }>(`/v1/alerts/:id/${action}`, { config: { scopes: ADMIN } }, async (request) =>
      act(trail, request.params.id, `token:${request.token!.id}`, noteOf(request.body), bodyFail))
  }
}
