/**
 * The collector: the HTTP API v1 over a trail. `buildCollector` makes the Fastify app, its
 * authentication and error handling, and registers one plugin per area (ingest, reads,
 * tokens, legal holds, operations, alerts, live streams), each handed its dependencies; `startCollector` in serve.ts is the
 * process around it.
 */
import type { Socket } from 'node:net'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify'
import { type Clock, ERR_AUTH_SCOPE, ERR_AUTH_RATE_LIMITED, ERR_AUTH_WHOLE_TRAIL, ERR_QUERY_INVALID, type Scope, type TokenInfo } from '@tradetrail/core'
import { authenticate, readableProjects } from '../auth/tokens.ts'
import type { TokenCache } from '../auth/token-cache.ts'
import { REQUEST_TIMEOUT_MS, type TradetrailConfig } from '../config.ts'
import type { Trail } from '../trail/open-trail.ts'
import { alertRoutes } from './alert-routes.ts'
import { ConnectionGate } from './connection-gate.ts'
import { dumpRoutes } from './dump-routes.ts'
import { holdRoutes } from './hold-routes.ts'
import { clientErrorHandler, registerErrorHandling } from './http-errors.ts'
import { ingestRoutes } from './ingest-routes.ts'
import type { CollectorMetrics } from './metrics.ts'
import { operationsRoutes } from './operations-routes.ts'
import { RateLimiter } from './rate-limiter.ts'
import { readRoutes } from './read-routes.ts'
import { redactQueryToken } from './query-token.ts'
import { registerBodyParsers } from './request-body.ts'
import { streamRoutes } from './stream-routes.ts'
import { tokenRoutes } from './token-routes.ts'

declare module 'fastify' {
  interface FastifyRequest {
    token: TokenInfo | null
    /** When the request arrived, in µs on the collector's clock; 0 unless the route sets `stampArrival`. */
    arrivedMicros: number
  }
  interface FastifyContextConfig {
    /** Scopes allowed on the route; absent means public. */
    scopes?: readonly Scope[]
    /** The route answers about the events of every project: a read token limited to projects is refused. */
    wholeTrail?: boolean
    /** Take the arrival time (request.arrivedMicros) before anything else runs. */
    stampArrival?: boolean
  }
}

/** What every route plugin is handed. */
export interface RouteDeps {
  config: Readonly<TradetrailConfig>
  trail: Trail
  tokens: TokenCache
  metrics: CollectorMetrics
  clock: Clock
  /** Whether /readyz says ready (set by serve.ts once listening). */
  state: { ready: boolean }
  /** Connections not yet authenticated; a route that authenticates by itself trusts its connection here. */
  gate: ConnectionGate
}

export interface CollectorDeps extends Omit<RouteDeps, 'state' | 'gate'> {
  /** Fastify logger options (default: pino at config.logLevel, Authorization redacted). */
  logger?: FastifyServerOptions['logger']
  https?: { cert: Buffer; key: Buffer }
}

export interface Collector {
  app: FastifyInstance
  state: { ready: boolean }
}

export const READ: readonly Scope[] = ['read', 'admin']
export const WRITE: readonly Scope[] = ['ingest', 'admin']
export const ADMIN: readonly Scope[] = ['admin']

export function buildCollector(deps: CollectorDeps): Collector {
  const { config, tokens, clock, metrics } = deps
  // Node checks the head deadline of every connection each interval: a quarter of the deadline
  // keeps the overshoot small, and at most a second keeps the check cheap.
  const deadlines = {
    headersTimeout: config.headTimeoutMs, requestTimeout: REQUEST_TIMEOUT_MS,
    connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(config.headTimeoutMs / 4))),
  }
  const app = Fastify({
    // A stream's token may come as a subprotocol (bearer.<token>), seed 001's in the query string (query-token.ts).
    logger: deps.logger ?? { level: config.logLevel, redact: ['req.headers.authorization', 'req.headers["sec-websocket-protocol"]'] },
    rewriteUrl: redactQueryToken,
    // One log line per request would cost more than the ingest itself; metrics count requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // Router errors (a bad %-escape in the URL) skip the error handler: answer them the same way.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).send({ error: ERR_QUERY_INVALID.create('url', `cannot be decoded (${error.code})`).toJSON() })
    },
    // Requests too large, too slow or too malformed for HTTP parsing never reach a route.
    clientErrorHandler: clientErrorHandler({ headMs: config.headTimeoutMs, requestMs: REQUEST_TIMEOUT_MS }, (reason) => metrics.connectionsClosed.inc({ reason })),
    // Under TLS the head deadline covers the handshake too.
    ...(deps.https ? { https: { ...deps.https, ...deadlines, handshakeTimeout: config.headTimeoutMs } } : { http: deadlines }),
  } as FastifyServerOptions)
  app.server.maxConnections = config.maxConnections
  const gate = new ConnectionGate(
    { perAddress: config.maxUnauthenticatedPerAddress, overall: config.maxUnauthenticatedConnections },
    () => metrics.connectionsClosed.inc({ reason: 'unauthenticated_limit' }),
  )
  app.server.on('connection', (socket: Socket) => gate.admit(socket))

  const limiter = new RateLimiter({ perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst, clock })
  const state = { ready: false }
  app.decorateRequest('token', null)
  app.decorateRequest('arrivedMicros', 0)
  registerBodyParsers(app)
  registerErrorHandling(app, config.maxBodyBytes)

  // The first hook, so the time is when the headers arrived: before authentication, and before
  // the body is read, whose upload time belongs to the network leg of the client's round trip.
  app.addHook('onRequest', (request, _reply, done) => {
    if (request.routeOptions.config.stampArrival === true) request.arrivedMicros = clock.nowMicros()
    done()
  })
  app.addHook('onRequest', async (request, reply) => {
    const scopes = request.routeOptions.config.scopes
    if (scopes === undefined) return
    const token = await authenticate(tokens, request.headers.authorization, clock)
    gate.trust(request.raw.socket)
    if (!scopes.includes(token.scope)) throw ERR_AUTH_SCOPE.create(token.scope, scopes.join(' or '))
    const limited = readableProjects(token)
    if (limited !== undefined && request.routeOptions.config.wholeTrail === true) throw ERR_AUTH_WHOLE_TRAIL.create(limited)
    const wait = limiter.take(token.id)
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait))
      void reply.header('retry-after', String(seconds))
      throw ERR_AUTH_RATE_LIMITED.create(seconds)
    }
    request.token = token
  })
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) })
  })

  const routeDeps: RouteDeps = { config, trail: deps.trail, tokens, metrics: deps.metrics, clock, state, gate }
  void app.register(ingestRoutes, routeDeps)
  void app.register(readRoutes, routeDeps)
  void app.register(dumpRoutes, routeDeps)
  void app.register(tokenRoutes, routeDeps)
  void app.register(holdRoutes, routeDeps)
  void app.register(alertRoutes, routeDeps)
  void app.register(operationsRoutes, routeDeps)
  void app.register(streamRoutes, routeDeps)
  return { app, state }
}
