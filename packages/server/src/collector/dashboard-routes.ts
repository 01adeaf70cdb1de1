/**
 * The dashboard (packages/dashboard, built to its dist/ by `npm run build`) at `/`, public like
 * any static page: it holds no data, and signs in with a token of the user's. Its files are
 * served with a strict Content-Security-Policy: scripts and styles from this origin only
 * (none inline), connections to this origin only (the API and the stream), no frames.
 */
import { readFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "img-src 'self'",
  "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ')

/** The files of the built dashboard, by the name under /assets/ (index.html is `/`). */
const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
}

/** The built dashboard's directory, or undefined when it was not built (devDependencies omitted). */
export function dashboardDir(): string | undefined {
  const dir = join(dirname(fileURLToPath(import.meta.resolve('@tradetrail/dashboard/package.json'))), 'dist')
  return existsSync(join(dir, 'index.html')) ? dir : undefined
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Tradetrail</title>
<h1>Tradetrail collector</h1>
<p>The dashboard was not built (<code>npm run build</code> builds it). The HTTP API is under <code>/v1/</code>
(see docs/api.md); every endpoint needs <code>Authorization: Bearer &lt;token&gt;</code>.</p>`

export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  const dir = dashboardDir()
  const send = async (reply: FastifyReply, file: string, type: string): Promise<FastifyReply> => {
    void reply.headers({
      'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY', 'cache-control': 'no-cache',
    })
    if (dir === undefined) return reply.type('text/html; charset=utf-8').send(NOT_BUILT)
    return reply.type(type).send(await readFile(join(dir, file)))
  }
  app.get('/', (_request, reply) => send(reply, 'index.html', 'text/html; charset=utf-8'))
  app.get<{ Params: { file: string } }>('/assets/:file', (request, reply) => {
    const { file } = request.params
    const type = Object.hasOwn(ASSETS, file) ? ASSETS[file] : undefined
    if (type === undefined || dir === undefined) return reply.code(404).type('text/plain; charset=utf-8').send('not found\n')
    return send(reply, file, type)
  })
}
