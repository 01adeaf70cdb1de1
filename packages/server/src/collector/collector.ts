/**
 * The collector: the HTTP API v1 over a trail. `buildCollector` wires routes to handlers
 * and takes every dependency (trail, tokens, metrics, clock) as an argument;
 * `startCollector` in serve.ts is the process around it.
 */
import { Readable } from 'node:stream'
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions, LogController } from 'fastify'
import {
  type Clock, ERR_AUTH_SCOPE, ERR_BODY_INVALID, ERR_QUERY_INVALID, ERR_NOT_FOUND, ERR_RATE_LIMITED, ERR_TOKEN_INVALID, type Scope, type TokenInfo, type TokenStore,
  SELF_PROJECT, UUID_PATTERN, validateBatch,
} from '@tradetrail/core'
import { authenticate, issueToken, revokeToken } from '../auth/tokens.ts'
import type { CollectorConfig } from '../config.ts'
import { CSV_HEADER, csvRow, jsonLine } from '../export-format.ts'
import type { LocalTrail } from '../local-trail.ts'
import { buildSummary, formatSummaryText, resolveDate, SUMMARY_PERIODS, type SummaryPeriod } from '../summary.ts'
import { verifyTrail } from '../verify-trail.ts'
import { GroupCommitter } from './group-commit.ts'
import { registerErrorHandling } from './http-errors.ts'
import { type IngestAnswer, ingestEvents } from './ingest.ts'
import type { CollectorMetrics } from './metrics.ts'
import { filterFromQuery, httpFail, listQuery, nextCursor, strictParams } from './query-params.ts'
import { RateLimiter } from './rate-limiter.ts'
import { registerBodyParsers } from './request-body.ts'

declare module 'fastify' {
  interface FastifyRequest {
    token: TokenInfo | null
    /** When the request arrived, in µs on the collector's clock; 0 unless the route sets `stampArrival`. */
    arrivedMicros: number
  }
  interface FastifyContextConfig {
    /** Scopes allowed on the route; absent means public. */
    scopes?: readonly Scope[]
    /** Take the arrival time (request.arrivedMicros) before anything else runs. */
    stampArrival?: boolean
  }
}

export interface CollectorDeps {
  config: Readonly<CollectorConfig>
  trail: LocalTrail
  tokens: TokenStore
  metrics: CollectorMetrics
  clock: Clock
  /** Fastify logger options (default: pino at config.logLevel, Authorization redacted). */
  logger?: FastifyServerOptions['logger']
  https?: { cert: Buffer; key: Buffer }
}

export interface Collector {
  app: FastifyInstance
  committer: GroupCommitter
  /** Records one of the collector's own actions in the trail, under project `tradetrail`. */
  record(type: string, message: string, data?: Record<string, unknown>, severity?: 'info' | 'warning' | 'critical'): Promise<void>
  /** Whether /readyz says ready. */
  ready: boolean
}

const READ: readonly Scope[] = ['read', 'admin']
const WRITE: readonly Scope[] = ['ingest', 'admin']
const ADMIN: readonly Scope[] = ['admin']
const ID = new RegExp(UUID_PATTERN)

export function buildCollector(deps: CollectorDeps): Collector {
  const { config, trail, tokens, metrics, clock } = deps
  const app = Fastify({
    logger: deps.logger ?? { level: config.logLevel, redact: ['req.headers.authorization'] },
    // One log line per request would cost more than the ingest itself; metrics count requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.maxBodyBytes,
    requestTimeout: 60_000,
    keepAliveTimeout: 72_000,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // Router errors (a bad %-escape in the URL) skip the error handler: answer them the same way.
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).send({ error: ERR_QUERY_INVALID.create('url', `cannot be decoded (${error.code})`).toJSON() })
    },
    // Requests too malformed for HTTP parsing never reach a route; the socket gets one JSON answer.
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: import('node:net').Socket) => {
      if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy()
      const body = JSON.stringify({ error: ERR_BODY_INVALID.create(`is not valid HTTP (${error.code ?? 'parse error'})`).toJSON() })
      socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
    },
    ...(deps.https ? { https: deps.https } : {}),
  } as FastifyServerOptions)
  app.server.maxConnections = config.maxConnections

  const committer = new GroupCommitter({
    appendGroup: (batches) => trail.appendGroup(batches),
    onCommit: (events, _batches, seconds) => {
      metrics.commitSeconds.observe(seconds)
      metrics.commitEvents.observe(events)
    },
    onError: (error, batches) => {
      metrics.writeFailures.inc()
      app.log.error({ err: error, batches }, 'commit failed; the requests were answered with an error')
    },
  })
  const limiter = new RateLimiter({ perSecond: config.rateLimitPerSecond, burst: config.rateLimitBurst, clock })
  const collector: Collector = {
    app,
    committer,
    ready: false,
    async record(type, message, data, severity = 'info') {
      const event = { project: SELF_PROJECT, type, severity, message, source: 'collector', ...(data ? { data } : {}) }
      await committer.submit(validateBatch([event], { nowMicros: clock.nowMicros() }))
    },
  }

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
    const token = await authenticate(tokens, request.headers.authorization)
    if (!scopes.includes(token.scope)) throw ERR_AUTH_SCOPE.create(token.scope, scopes.join(' or '))
    const wait = limiter.take(token.id)
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait))
      void reply.header('retry-after', String(seconds))
      throw ERR_RATE_LIMITED.create(seconds)
    }
    request.token = token
  })
  app.addHook('onResponse', async (request, reply) => {
    metrics.requests.inc({ route: request.routeOptions.url ?? 'unmatched', method: request.method, status: String(reply.statusCode) })
  })

  // Ingest.
  const ingestDeps = {
    submit: (batch: Parameters<GroupCommitter['submit']>[0]) => committer.submit(batch), clock, metrics,
    maxBatchEvents: config.maxBatchEvents, clockSkewMs: config.clockSkewMs,
  }
  app.post('/v1/events', { config: { scopes: WRITE, stampArrival: true } }, async (request): Promise<IngestAnswer> => {
    strictParams(request.query, [])
    const body = Array.isArray(request.body) || typeof request.body !== 'object' || request.body === null ? request.body : [request.body]
    const result = await ingestEvents(ingestDeps, request.token!, body, request.headers)
    // t1 and t2 of the client's NTP-style exchange (clock-report.ts); t2 is taken after the commit.
    return { ...result, clock: { received_us: request.arrivedMicros, answered_us: clock.nowMicros() } }
  })

  // Reads.
  app.get('/v1/events', { config: { scopes: READ } }, async (request) => {
    const options = listQuery(request.query)
    const events = await trail.store.query(options)
    return { events, next: nextCursor(options, events) }
  })
  app.get<{ Params: { id: string } }>('/v1/events/:id', { config: { scopes: READ } }, async (request) => {
    if (!ID.test(request.params.id)) throw httpFail('id', 'must be a lower-case UUID')
    const event = await trail.store.get(request.params.id)
    if (event === undefined) throw ERR_NOT_FOUND.create(`event ${request.params.id}`)
    return event
  })
  app.get('/v1/stats', { config: { scopes: READ } }, async (request) => trail.store.stats(filterFromQuery(request.query).filter))
  app.get('/v1/summary', { config: { scopes: READ } }, async (request) => {
    const params = strictParams(request.query, ['period', 'date'])
    const period = (params.period ?? 'day') as SummaryPeriod
    if (!SUMMARY_PERIODS.includes(period)) throw httpFail('period', `must be one of ${SUMMARY_PERIODS.join(', ')}`)
    let date: string
    try {
      date = resolveDate(params.date ?? 'today', clock.nowMicros() / 1000)
    } catch {
      throw httpFail('date', 'must be YYYY-MM-DD, today or yesterday')
    }
    const summary = await buildSummary({ store: trail.store, period, date })
    return { ...summary, text: formatSummaryText(summary) }
  })
  app.get('/v1/export', { config: { scopes: READ } }, async (request, reply) => {
    const { filter, params } = filterFromQuery(request.query, ['format'])
    const format = params.format ?? 'jsonl'
    if (format !== 'csv' && format !== 'jsonl') throw httpFail('format', 'must be csv or jsonl')
    const row = format === 'csv' ? csvRow : jsonLine
    async function* lines(): AsyncGenerator<string> {
      if (format === 'csv') yield CSV_HEADER
      for await (const chunk of trail.store.scan(filter)) {
        let text = ''
        for (const e of chunk) text += row(e)
        yield text
      }
    }
    void reply
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="tradetrail-export.${format}"`)
    return reply.send(Readable.from(lines()))
  })
  app.get('/v1/verify', { config: { scopes: READ } }, async (request) => {
    strictParams(request.query, [])
    const report = await verifyTrail(trail.store, trail.signer.publicKey)
    await collector.record('verification_run', report.ok
      ? `Verification passed: ${report.checked} events, ${report.checkpoints.verified} checkpoints`
      : `Verification FAILED at seq ${report.problem!.seq}: ${report.problem!.message}`, { ok: report.ok, checked: report.checked, problem: report.problem, by: request.token!.id }, report.ok ? 'info' : 'critical')
    return { ...report, key_id: trail.signer.keyId, public_key: trail.signer.publicKeyPem }
  })
  app.get('/v1/checkpoints', { config: { scopes: READ } }, async (request) => {
    strictParams(request.query, [])
    return {
      algorithm: 'ed25519', key_id: trail.signer.keyId, public_key: trail.signer.publicKeyPem,
      anchor: (await trail.store.anchor()) ?? null, checkpoints: await trail.store.checkpoints(),
    }
  })

  // Tokens (admin).
  app.post<{ Body: unknown }>('/v1/tokens', { config: { scopes: ADMIN } }, async (request, reply) => {
    const body = request.body as Record<string, unknown> | null
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw ERR_TOKEN_INVALID.create('the body must be a JSON object {"scope", "projects", "privileges", "label"}')
    for (const key of Object.keys(body)) if (!['scope', 'projects', 'privileges', 'label'].includes(key)) throw ERR_TOKEN_INVALID.create(`"${key.slice(0, 40)}" is not a token field; known: scope, projects, privileges, label`)
    const list = (key: string): string[] | undefined => {
      const value = body[key]
      if (value === undefined) return undefined
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw ERR_TOKEN_INVALID.create(`"${key}" must be an array of strings`)
      return value
    }
    if (body.label !== undefined && body.label !== null && typeof body.label !== 'string') throw ERR_TOKEN_INVALID.create('"label" must be a string')
    const issued = await issueToken(tokens, { scope: body.scope as Scope, projects: list('projects'), privileges: list('privileges'), label: body.label as string | undefined }, clock)
    const { token: _secret, ...info } = issued
    await collector.record('token_created', `Token ${issued.id} created (${issued.scope})`, { ...info, by: request.token!.id })
    return reply.code(201).send(issued)
  })
  app.get('/v1/tokens', { config: { scopes: ADMIN } }, async () => ({ tokens: await tokens.listTokens() }))
  app.delete<{ Params: { id: string } }>('/v1/tokens/:id', { config: { scopes: ADMIN } }, async (request) => {
    await revokeToken(tokens, request.params.id, clock)
    await collector.record('token_revoked', `Token ${request.params.id} revoked`, { id: request.params.id, by: request.token!.id })
    return { id: request.params.id, revoked: true }
  })

  // Operations.
  app.get('/metrics', { config: { scopes: READ } }, async (_request, reply) => {
    metrics.headSeq.set((await trail.store.head()).seq)
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    if (!collector.ready) return reply.code(503).send({ status: 'not ready' })
    try {
      await trail.store.head()
    } catch (error) {
      return reply.code(503).send({ status: 'store unavailable', reason: (error as Error).message })
    }
    return { status: 'ready', pending_batches: committer.pending }
  })
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(LANDING))

  return collector
}

const LANDING = `<!doctype html><meta charset="utf-8"><title>Tradetrail</title>
<h1>Tradetrail collector</h1>
<p>The live dashboard is not part of this build yet. The HTTP API is under <code>/v1/</code>
(see docs/api.md); every endpoint needs <code>Authorization: Bearer &lt;token&gt;</code>.</p>`
