/**
 * The live stream over the commit feed (read or admin scope): GET /v1/stream, a WebSocket of
 * JSON frames (docs/api.md, "GET /v1/stream"), and seed 001's `/ws/audit` (seed 000's text lines,
 * a backlog then new ones) and `GET /api/audit` (the recent lines as text). The routes check the
 * token and the filters, then hand the connection to a StreamClient (stream/stream-client.ts).
 * A WebSocket is refused after the handshake, with a close code and reason (stream-close.ts),
 * because a browser never sees the HTTP status of a refused upgrade.
 */
import websocket from '@fastify/websocket'
import type { FastifyPluginAsync, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { ERR_AUTH_SCOPE, ERR_COLLECTOR_INTERNAL, type EventFilter, type TokenInfo, TradetrailError } from '@tradetrail/core'
import { authenticate, readFilter } from '../auth/tokens.ts'
import { parseInteger, wholeNumberRule } from '../filter-params.ts'
import { closeWithError } from '../stream/stream-close.ts'
import { StreamClient } from '../stream/stream-client.ts'
import { streamMatcher } from '../stream/stream-filter.ts'
import { JsonFrames, LineFrames, seedLine, type StreamFrames } from '../stream/stream-frames.ts'
import { StreamHub } from '../stream/stream-hub.ts'
import { READ, type RouteDeps } from './collector.ts'
import { filterFromQuery, httpFail } from './query-params.ts'
import { queryToken } from './query-token.ts'

/** The subprotocol a /v1/stream client offers, beside `bearer.<token>`; the only one the collector selects. */
export const STREAM_PROTOCOL = 'tradetrail.v1'
const BEARER_PROTOCOL = 'bearer.'
/** Seed 001's backlog and /api/audit: this many of the latest lines unless `limit` says. */
const SEED_LINES = 100
/** How long a stream told to close at shutdown may take to answer before it is cut. */
const CLOSE_GRACE_MS = 1000

export const streamRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { config, trail, tokens, clock, metrics, gate } = deps
  const feed = trail.feed!
  const { store } = trail
  const hub = new StreamHub({
    feed, tokens, clock, maxPerToken: config.streamMaxPerToken, heartbeatMs: config.streamHeartbeatMs,
    onCount: (open) => metrics.streamClients.set(open),
  })
  const json = new JsonFrames()
  const lines = new LineFrames()

  await app.register(websocket, {
    options: {
      maxPayload: 64 * 1024,
      // Never echo the bearer protocol back: the answer names tradetrail.v1 only.
      handleProtocols: (offered: Set<string>) => offered.has(STREAM_PROTOCOL) ? STREAM_PROTOCOL : false,
    },
    // A client that disconnects uncleanly is no error of the collector's.
    errorHandler: (_error, socket) => socket.terminate(),
    preClose(done) {
      hub.close()
      const server = this.websocketServer
      const cut = setTimeout(() => { for (const socket of server.clients) socket.terminate() }, CLOSE_GRACE_MS).unref()
      server.close(() => clearTimeout(cut))
      done()
    },
  })

  /** The token of a request, checked; read or admin scope. `Authorization` first, else the one `alternative` names. */
  async function reader(request: FastifyRequest, alternative: string | undefined): Promise<{ token: TokenInfo; authorization: string }> {
    const authorization = request.headers.authorization ?? (alternative === undefined ? undefined : `Bearer ${alternative}`)
    const token = await authenticate(tokens, authorization, clock)
    if (!READ.includes(token.scope)) throw ERR_AUTH_SCOPE.create(token.scope, READ.join(' or '))
    gate.trust(request.raw.socket)
    return { token, authorization: authorization! }
  }

  /** Checks the token and filters, sends what comes before the live events, then follows the feed. */
  async function open(socket: WebSocket, request: FastifyRequest, frames: StreamFrames, begin: (filter: EventFilter) => Promise<number>, alternative: string | undefined): Promise<void> {
    try {
      const { token, authorization } = await reader(request, alternative)
      const filter = readFilter(token, filterFromQuery(request.query, frames === lines ? ['token', 'limit'] : []).filter)
      hub.admit(token)
      const afterSeq = await begin(filter)
      if (socket.readyState !== socket.OPEN) return
      const client = new StreamClient({
        socket, feed, afterSeq, match: streamMatcher(filter), frames, bufferBytes: config.streamBufferBytes,
        nowMicros: () => clock.nowMicros(),
        onGap: () => metrics.streamGaps.inc(),
        onError: (error) => request.log.error({ err: error }, 'stream: reading the feed failed; retrying'),
      })
      hub.add(client, socket, token, authorization)
      client.start()
    } catch (error) {
      if (!(error instanceof TradetrailError)) request.log.error({ err: error }, 'stream failed')
      closeWithError(socket, frames, error instanceof TradetrailError ? error : ERR_COLLECTOR_INTERNAL.create(request.id), clock.nowMicros())
    }
  }

  app.get('/v1/stream', { websocket: true }, (socket, request) => {
    const offered = String(request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
    const bearer = offered.find((p) => p.startsWith(BEARER_PROTOCOL))?.slice(BEARER_PROTOCOL.length)
    void open(socket, request, json, async (filter) => {
      const head = feed.head
      const afterSeq = startAfter(filter, head)
      socket.send(JSON.stringify({ type: 'hello', protocol: STREAM_PROTOCOL, after_seq: afterSeq, head }))
      return afterSeq
    }, bearer)
  })

  /** Seed 001: the latest lines (or those after `after_seq`), then new ones as they are stored. */
  app.get('/ws/audit', { websocket: true }, (socket, request) => {
    void open(socket, request, lines, async (filter) => {
      const head = feed.head
      if (filter.afterSeq !== undefined) return startAfter(filter, head)
      const backlog = await recentLines(filter, request.query, head)
      if (backlog !== '') socket.send(backlog)
      return head
    }, queryToken(request.raw))
  })

  app.get('/api/audit', async (request, reply) => {
    const { token } = await reader(request, queryToken(request.raw))
    const filter = readFilter(token, filterFromQuery(request.query, ['token', 'limit']).filter)
    void reply.type('text/plain; charset=utf-8')
    return recentLines(filter, request.query, Number.MAX_SAFE_INTEGER - 1)
  })

  /** Where a stream starts: after `after_seq`, or at the head; never beyond it (that would skip what comes next). */
  function startAfter(filter: EventFilter, head: number): number {
    const afterSeq = filter.afterSeq ?? head
    if (afterSeq > head) throw httpFail('after_seq', wholeNumberRule(0, head), String(afterSeq))
    return afterSeq
  }

  /** The latest `limit` matching events up to `through`, oldest first, as seed 000's lines. */
  async function recentLines(filter: EventFilter, query: unknown, through: number): Promise<string> {
    const raw = (query as Record<string, string | undefined>).limit
    const limit = raw === undefined ? SEED_LINES : parseInteger(raw, 'limit', httpFail, 1, 1000)
    const events = await store.query({ ...filter, beforeSeq: through + 1, limit, order: filter.afterSeq === undefined ? 'desc' : 'asc' })
    if (filter.afterSeq === undefined) events.reverse()
    let text = ''
    for (const e of events) text += seedLine(e)
    return text
  }
}
