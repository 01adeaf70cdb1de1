/**
 * The collector's one error handler: every failure is answered
 * `{ "error": { "code", "message", "problems"? } }` with a stable TT_ERR code. Fastify's own
 * errors (body too large, bad media type, …) are translated into the registry's codes, and so
 * are the HTTP parser's, for requests that never reach a route, and so is an OS condition met
 * on the trail's files (core's os-errors.ts, as the CLI maps its own).
 */
import { STATUS_CODES, maxHeaderSize } from 'node:http'
import type { Socket } from 'node:net'
import type { FastifyError, FastifyInstance } from 'fastify'
import {
  ERR_BODY_INVALID, ERR_BODY_TOO_LARGE, ERR_COLLECTOR_INTERNAL, ERR_COLLECTOR_UNAVAILABLE, ERR_HEADER_TOO_LARGE, ERR_REQUEST_TIMEOUT,
  ERR_ROUTE_NOT_FOUND, ERR_UNSUPPORTED_MEDIA, TradetrailError, storeFileError,
} from '@tradetrail/core'

export function toTradetrailError(error: FastifyError & { code?: string }, bodyLimit: number, requestId: string): TradetrailError {
  if (error instanceof TradetrailError) return error
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return ERR_BODY_TOO_LARGE.create(bodyLimit)
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
      return ERR_UNSUPPORTED_MEDIA.create('(missing or unknown)')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return ERR_BODY_INVALID.create('empty')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return ERR_BODY_INVALID.create('length')
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return ERR_BODY_INVALID.create('json')
    case 'Z_DATA_ERROR':
    case 'Z_BUF_ERROR':
    case 'Z_STREAM_ERROR':
      return ERR_BODY_INVALID.create('gzip')
    case 'ECONNRESET':
    case 'ERR_STREAM_PREMATURE_CLOSE':
      return ERR_BODY_INVALID.create('truncated')
    case 'FST_ERR_QSP_INVALID_QUERYSTRING':
      return ERR_BODY_INVALID.create('query')
  }
  const os = storeFileError(error)
  if (os !== undefined) return os
  if (error.statusCode === 503) return ERR_COLLECTOR_UNAVAILABLE.create()
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return ERR_BODY_INVALID.create('refused', error.message)
  }
  return ERR_COLLECTOR_INTERNAL.create(requestId)
}

export function registerErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const tt = toTradetrailError(error, bodyLimit, request.id)
    if (tt.statusCode >= 500) request.log.error({ err: error }, 'request failed')
    if (tt.statusCode === 503) void reply.header('retry-after', '1')
    void reply.code(tt.statusCode).send({ error: tt.toJSON() })
  })
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0]!.slice(0, 200)
    void reply.code(404).send({ error: ERR_ROUTE_NOT_FOUND.create(request.method, url).toJSON() })
  })
}

/** Why the collector closed a connection before a request reached a route (a label of tradetrail_connections_closed_total). */
export type ClosedReason = 'malformed' | 'header_too_large' | 'timeout' | 'unauthenticated_limit'

/** How long a connection answered by `clientErrorHandler` may stay open for its client to read the answer. */
const LINGER_MS = 2000

/**
 * Node's `clientError` handler: a request the HTTP parser refused (a head over the size limit,
 * a head or request too slow, malformed HTTP) gets one JSON answer, then the connection closes
 * — when the client closes its side, or after LINGER_MS (closing at once could reset the
 * connection before the client has read the answer).
 */
export function clientErrorHandler(timeouts: { headMs: number; requestMs: number }, onClose: (reason: ClosedReason) => void) {
  return (error: NodeJS.ErrnoException, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy()
    let tt: TradetrailError
    let reason: ClosedReason
    if (error.code === 'HPE_HEADER_OVERFLOW') [tt, reason] = [ERR_HEADER_TOO_LARGE.create(maxHeaderSize), 'header_too_large']
    else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') [tt, reason] = [ERR_REQUEST_TIMEOUT.create(timeouts.headMs, timeouts.requestMs), 'timeout']
    else [tt, reason] = [ERR_BODY_INVALID.create('http', error.code ?? 'parse error'), 'malformed']
    onClose(reason)
    const body = JSON.stringify({ error: tt.toJSON() })
    socket.end(`HTTP/1.1 ${tt.statusCode} ${STATUS_CODES[tt.statusCode]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    const linger = setTimeout(() => socket.destroy(), LINGER_MS).unref()
    socket.once('close', () => clearTimeout(linger))
  }
}
