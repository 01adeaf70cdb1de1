/**
 * Seed 001's endpoints take their token in the query string (`/ws/audit?token=…`), where it
 * would show wherever a URL does. Before Fastify routes a request, the token's value is taken
 * out of the URL — which then reads `token=redacted` for the router, the logs, error messages
 * and metrics alike — and kept on the request for the routes that accept it.
 */
import type { IncomingMessage } from 'node:http'

const TOKEN_PARAM = /([?&])token=([^&#]*)/g
const REDACTED = 'redacted'
const TOKEN = Symbol('queryToken')

type WithToken = IncomingMessage & { [TOKEN]?: string; originalUrl?: string }

/** Fastify's `rewriteUrl`: the URL with every `token` query parameter's value replaced. */
export function redactQueryToken(request: IncomingMessage): string {
  const url = request.url ?? '/'
  if (!url.includes('token=')) return url
  let first: string | undefined
  const redacted = url.replace(TOKEN_PARAM, (_match, sep: string, value: string) => {
    if (first === undefined) {
      try {
        first = decodeURIComponent(value)
      } catch {
        first = value
      }
    }
    return `${sep}token=${REDACTED}`
  })
  const r = request as WithToken
  r[TOKEN] = first
  // Fastify keeps the URL as it came in `originalUrl`: that copy is redacted too.
  r.originalUrl = redacted
  return redacted
}

/** The token that `request`'s query string carried, or undefined. */
export function queryToken(request: IncomingMessage): string | undefined {
  return (request as WithToken)[TOKEN]
}
