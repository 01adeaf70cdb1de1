/**
 * Body parsing for the collector: JSON (an array of events, or one event), NDJSON, and
 * gzip on top of either. The size limit applies after decompression (no zip bombs).
 */
import { createGunzip } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { ERR_BODY_INVALID, ERR_UNSUPPORTED_ENCODING } from '@tradetrail/core'

export const NDJSON_TYPES = ['application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/json-seq']

export function parseNdjson(text: string): unknown[] {
  const events: unknown[] = []
  let line = 0
  for (const raw of text.split('\n')) {
    line++
    const trimmed = raw.trim()
    if (trimmed === '') continue
    try {
      events.push(JSON.parse(trimmed))
    } catch (error) {
      throw ERR_BODY_INVALID.create('ndjson', `line ${line}: ${(error as Error).message}`)
    }
  }
  return events
}

export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string))
    } catch (error) {
      done(ERR_BODY_INVALID.create('json', (error as Error).message), undefined)
    }
  })
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseNdjson(body as string))
    } catch (error) {
      done(error as Error, undefined)
    }
  })
  app.addHook('preParsing', async (request, _reply, payload) => {
    const encoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase().trim()
    if (encoding === 'identity') return payload
    if (encoding !== 'gzip' && encoding !== 'x-gzip') throw ERR_UNSUPPORTED_ENCODING.create(encoding.slice(0, 40))
    const gunzip = createGunzip() as ReturnType<typeof createGunzip> & { receivedEncodedLength: number }
    // Fastify compares this with Content-Length, and the decoded size with the body limit.
    gunzip.receivedEncodedLength = 0
    payload.on('data', (chunk: Buffer) => { gunzip.receivedEncodedLength += chunk.length })
    payload.on('error', (error) => gunzip.destroy(error))
    gunzip.on('error', () => {}) // reported through the parser as a bad body
    return payload.pipe(gunzip)
  })
}
