/**
 * One POST /v1/events of an NDJSON batch over a keep-alive connection, and what its answer
 * means for the batch. Only the collector naming an event as invalid drops anything; every
 * other failure (unreachable, refused token, 5xx, an answer that is not an acknowledgement)
 * means "try again later", because an audit record is worth more than the disk it waits on.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import {
  CLOCK_OFFSET_HEADER, CLOCK_RTT_HEADER, ERR_COLLECTOR_NOT_TRADETRAIL, ERR_COLLECTOR_UNREACHABLE, type Problem, TradetrailError, systemClock,
} from '@tradetrail/core'
import type { ClockSample } from './clock-offset.ts'

/** The collector's answer, as far as the batch is concerned. */
export type PostOutcome =
  | { kind: 'ok'; accepted: number; duplicates: number; clock: { t0: number; t1: number; t2: number; t3: number } | undefined }
  /** Not acknowledged: send the same batch again later. */
  | { kind: 'retry'; error: TradetrailError; retryAfterMs: number }
  /** The collector named these events (indexes into the batch) as invalid: drop them, send the rest. */
  | { kind: 'reject'; error: TradetrailError; problems: Problem[] }
  /** Too large, or refused without saying which event: send it in halves. */
  | { kind: 'split'; error: TradetrailError }

export interface BatchTarget {
  /** `http(s)://host:port` of the collector. */
  url: URL
  token: string
  timeoutMs: number
}

const MAX_ANSWER = 1024 * 1024

/** Keep-alive agents, one per client, so a batch does not pay for a TCP (and TLS) handshake. */
export function keepAliveAgent(url: URL): HttpAgent {
  const options = { keepAlive: true, maxSockets: 1, keepAliveMsecs: 10_000 }
  return url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options)
}

const unreachable = (url: URL, cause: string): TradetrailError => ERR_COLLECTOR_UNREACHABLE.create(url.origin, cause)
const notTradetrail = (url: URL, status: number): TradetrailError => ERR_COLLECTOR_NOT_TRADETRAIL.create(url.origin, status)

function retryAfterMs(value: string | string[] | undefined): number {
  const seconds = Number(Array.isArray(value) ? value[0] : value)
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0
}

/** Sends `body` (NDJSON of `events` events) and classifies the answer; never rejects. */
export function postBatch(target: BatchTarget, agent: HttpAgent, body: Buffer, clock: ClockSample | undefined): Promise<PostOutcome> {
  const { url } = target
  const headers: Record<string, string | number> = {
    'content-type': 'application/x-ndjson',
    'content-length': body.length,
    authorization: `Bearer ${target.token}`,
  }
  if (clock) {
    headers[CLOCK_OFFSET_HEADER] = clock.offsetUs
    headers[CLOCK_RTT_HEADER] = clock.rttUs
  }
  return new Promise((resolve) => {
    let settled = false
    const settle = (outcome: PostOutcome): void => {
      if (settled) return
      settled = true
      resolve(outcome)
    }
    const t0 = systemClock.nowMicros()
    const request = (url.protocol === 'https:' ? httpsRequest : httpRequest)(new URL('/v1/events', url), {
      method: 'POST', agent, headers, timeout: target.timeoutMs,
    }, (response) => {
      readAnswer(response, (text, tooLong) => {
        const t3 = systemClock.nowMicros()
        if (tooLong) return settle({ kind: 'retry', error: notTradetrail(url, response.statusCode ?? 0), retryAfterMs: 0 })
        settle(classify(url, response, text, t0, t3))
      }, (error: NodeJS.ErrnoException) => settle({ kind: 'retry', error: unreachable(url, error.code ?? 'ECONNRESET'), retryAfterMs: 0 }))
    })
    request.on('timeout', () => request.destroy(Object.assign(new Error(`no answer within ${target.timeoutMs} ms`), { code: 'ETIMEDOUT' })))
    request.on('error', (error: NodeJS.ErrnoException) => {
      settle({ kind: 'retry', error: unreachable(url, error.code ?? error.message), retryAfterMs: 0 })
    })
    request.end(body)
  })
}

function readAnswer(response: IncomingMessage, done: (text: string, tooLong: boolean) => void, failed: (error: Error) => void): void {
  const chunks: Buffer[] = []
  let length = 0
  response.on('data', (chunk: Buffer) => {
    length += chunk.length
    if (length <= MAX_ANSWER) chunks.push(chunk)
  })
  response.on('end', () => done(Buffer.concat(chunks).toString('utf8'), length > MAX_ANSWER))
  response.on('error', failed)
  response.on('aborted', () => failed(new Error('connection closed')))
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text)
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

function classify(url: URL, response: IncomingMessage, text: string, t0: number, t3: number): PostOutcome {
  const status = response.statusCode ?? 0
  const answer = parse(text)
  if (status >= 200 && status < 300) {
    const { accepted, duplicates, clock } = answer ?? {}
    if (typeof accepted !== 'number' || typeof duplicates !== 'number') {
      return { kind: 'retry', error: notTradetrail(url, status), retryAfterMs: 0 }
    }
    const c = clock as { received_us?: unknown; answered_us?: unknown } | undefined
    const exchange = typeof c?.received_us === 'number' && typeof c.answered_us === 'number'
      ? { t0, t1: c.received_us, t2: c.answered_us, t3 } : undefined
    return { kind: 'ok', accepted, duplicates, clock: exchange }
  }
  const error = answer?.error as { code?: unknown; message?: unknown; problems?: unknown } | undefined
  const fromCollector = typeof error?.code === 'string' && error.code.startsWith('TT_ERR_') && typeof error.message === 'string'
  const reported = fromCollector
    ? new TradetrailError(error!.code as string, status, `the collector refused the batch: ${error!.message as string}`, Array.isArray(error!.problems) ? error!.problems as Problem[] : undefined)
    : notTradetrail(url, status)
  if (status === 413) return { kind: 'split', error: reported }
  // Only a Tradetrail collector's own refusal may cost events; a proxy's 400 is retried.
  if (status === 400 && fromCollector) {
    const problems = (reported.problems ?? []).filter((p) => Number.isInteger(p.index))
    return problems.length > 0 ? { kind: 'reject', error: reported, problems } : { kind: 'split', error: reported }
  }
  return { kind: 'retry', error: reported, retryAfterMs: retryAfterMs(response.headers['retry-after']) }
}
