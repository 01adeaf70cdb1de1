/**
 * Body parsing for the collector: JSON (an array of events, or one event), NDJSON, and
 * gzip on top of either. The size limit applies after decompression (no zip bombs).
 */
import { createGunzip } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { isUtf8 } from 'node:buffer'
import { ERR_BODY_CHARSET, ERR_BODY_INVALID, ERR_BODY_BAD_UNICODE, ERR_UNSUPPORTED_ENCODING } from '@tradetrail/core'

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

/**
 * The body as text, refusing what is not UTF-8: decoding would put U+FFFD where the producer's
 * bytes were, and the chain would then seal text nobody sent.
 */
export function utf8Text(body: Buffer, contentType: string | undefined): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1]
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) throw ERR_BODY_CHARSET.create(charset.slice(0, 40))
  if (!isUtf8(body)) throw ERR_BODY_BAD_UNICODE.create(firstInvalidUtf8(body))
  return body.toString('utf8')
}

/** Offset of the first byte where `bytes` stops being well-formed UTF-8 (only called when it does). */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length;) {
    const b = bytes[i]!
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0
    if (n === 0 || i + n > bytes.length) return i
    for (let k = 1; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i
    // Overlong forms, surrogates and code points past U+10FFFF.
    const c1 = bytes[i + 1] ?? 0
    if ((b === 0xe0 && c1 < 0xa0) || (b === 0xed && c1 > 0x9f) || (b === 0xf0 && c1 < 0x90) || (b === 0xf4 && c1 > 0x8f)) return i
    i += n
  }
  return bytes.length
}

export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['application/json', 'text/plain'])
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string
    try {
      text = utf8Text(body as Buffer, request.headers['content-type'])
    } catch (error) {
      return done(error as Error, undefined)
    }
    try {
      done(null, JSON.parse(text))
    } catch (error) {
      done(ERR_BODY_INVALID.create('json', (error as Error).message), undefined)
    }
  })
  app.addContentTypeParser(NDJSON_TYPES, { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseNdjson(utf8Text(body as Buffer, request.headers['content-type'])))
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
