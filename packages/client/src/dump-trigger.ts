/**
 * Seed 002's `trigger_audit_dumping()`: asks the collector for the last 30 hours
 * (`GET /v1/dump`, docs/api.md) and saves its answer, unchanged, as `dumped_audit_trails.json`
 * in the working directory. Whole or not at all: the answer goes to a temporary file that is
 * renamed over the old dump once complete. Like every SDK call it never throws: a problem is
 * reported through `onError` (else one stderr line) and the promise resolves to undefined.
 */
import { createWriteStream } from 'node:fs'
import { rename, unlink } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import {
  ERR_CLIENT_OPTIONS, ERR_COLLECTOR_NOT_TRADETRAIL, ERR_COLLECTOR_REFUSED, ERR_COLLECTOR_UNREACHABLE, ERR_DUMP_WRITE, TradetrailError,
} from '@tradetrail/core'
import { DEFAULT_URL } from './client-options.ts'
import { type ErrorHandler, errorReporter } from './error-reporter.ts'
import { ioReason } from './io-reason.ts'

export interface DumpOptions {
  /** Collector URL; default env TRADETRAIL_URL, else http://127.0.0.1:9324. */
  url?: string
  /** A read (or admin) token; default env TRADETRAIL_TOKEN. An ingest token is refused (TT_ERR_AUTH_SCOPE). */
  token?: string
  /** How far back, in whole hours (default 30, as seed 002). */
  hours?: number
  /** The directory of `dumped_audit_trails.json` (default the working directory). */
  dir?: string
  onError?: ErrorHandler
  /** Where TRADETRAIL_URL and TRADETRAIL_TOKEN come from (default process.env). */
  env?: Record<string, string | undefined>
}

const DUMP_FILE = 'dumped_audit_trails.json'

async function fetchDump(url: URL, token: string): Promise<Response> {
  let answer: Response
  try {
    answer = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause
    throw ERR_COLLECTOR_UNREACHABLE.create(url.origin, cause?.code ?? cause?.message ?? String(error))
  }
  if (answer.ok && (answer.headers.get('content-type') ?? '').startsWith('application/json') && answer.body !== null) return answer
  let refusal: { code?: unknown; message?: unknown } | undefined
  try {
    refusal = ((await answer.json()) as { error?: { code?: unknown; message?: unknown } }).error
  } catch {
    // Not a Tradetrail answer; said below.
  }
  if (!answer.ok && typeof refusal?.code === 'string' && typeof refusal.message === 'string') {
    throw ERR_COLLECTOR_REFUSED.create(url.origin, answer.status, refusal.code, refusal.message)
  }
  throw ERR_COLLECTOR_NOT_TRADETRAIL.create(url.origin, answer.status)
}

/**
 * Writes the collector's dump of the last `hours` (default 30) to `dumped_audit_trails.json`
 * in `dir` (default the working directory). Resolves to the file's absolute path, or to
 * undefined after reporting the problem; never rejects.
 */
export async function triggerAuditDumping(options: DumpOptions = {}): Promise<string | undefined> {
  const report = errorReporter('tradetrail-dump', typeof options.onError === 'function' ? options.onError : undefined)
  let path: string | undefined
  let temporary: string | undefined
  try {
    const env = options.env ?? process.env
    const rawUrl = options.url ?? env.TRADETRAIL_URL ?? DEFAULT_URL
    let url: URL
    try {
      url = new URL('/v1/dump', rawUrl)
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)')
    } catch {
      throw ERR_CLIENT_OPTIONS.create('url', `must be an http:// or https:// URL, got ${JSON.stringify(rawUrl)}; nothing was dumped`)
    }
    const token = options.token ?? env.TRADETRAIL_TOKEN ?? ''
    if (typeof token !== 'string' || token === '') throw ERR_CLIENT_OPTIONS.create('token', 'is missing (option token or TRADETRAIL_TOKEN, a read token); nothing was dumped')
    const hours = options.hours ?? 30
    if (!Number.isSafeInteger(hours) || hours < 1) throw ERR_CLIENT_OPTIONS.create('hours', `must be a whole number of hours of at least 1, got ${JSON.stringify(hours)}; nothing was dumped`)
    url.searchParams.set('hours', String(hours))
    path = resolve(options.dir ?? '.', DUMP_FILE)
    const answer = await fetchDump(url, token)
    temporary = `${path}.${process.pid}.tmp`
    await pipeline(Readable.fromWeb(answer.body! as import('node:stream/web').ReadableStream), createWriteStream(temporary, { mode: 0o640 }))
    await rename(temporary, path)
    return path
  } catch (error) {
    if (temporary !== undefined) await unlink(temporary).catch(() => undefined)
    if (error instanceof TradetrailError) report(error)
    else report(ERR_DUMP_WRITE.create(path ?? DUMP_FILE, ioReason(error)))
    return undefined
  }
}

/** Seed 002's name for `triggerAuditDumping`. */
export const trigger_audit_dumping = triggerAuditDumping
