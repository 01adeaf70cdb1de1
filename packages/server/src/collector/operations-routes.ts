/** Operations: Prometheus metrics and the witnesses' state (read scope), health and readiness (public), the dashboard (public). */
import type { FastifyPluginAsync } from 'fastify'
import { READ, type RouteDeps } from './collector.ts'
import { dashboardRoutes } from './dashboard-routes.ts'
import { strictParams } from './query-params.ts'

export const operationsRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { trail, metrics, state, config } = deps
  // Metrics count every project's events (and name projects in labels): not for a token limited to some.
  app.get('/metrics', { config: { scopes: READ, wholeTrail: true } }, async (_request, reply) => {
    metrics.headSeq.set((await trail.store.head()).seq)
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics())
  })
  // Where each witness stands. Witness lag never makes /readyz refuse ingest: producers must not
  // wait for a volume or an endpoint that only receives copies of signatures.
  app.get('/v1/witnesses', { config: { scopes: READ, wholeTrail: true } }, async (request) => {
    strictParams(request.query, [])
    return { witnesses: (await trail.witnesses?.status()) ?? [] }
  })
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_request, reply) => {
    if (!state.ready) return reply.code(503).send({ status: 'not ready' })
    let problem: string | undefined
    try {
      await trail.store.head()
      problem = trail.writeProblem(config.minFreeBytes)
    } catch (error) {
      problem = (error as Error).message
    }
    // Not ready while writes would fail: a load balancer sends producers elsewhere, and they retry.
    if (problem !== undefined) return reply.code(503).send({ status: 'store unavailable', reason: problem })
    return { status: 'ready' }
  })
  await app.register(dashboardRoutes)
}
