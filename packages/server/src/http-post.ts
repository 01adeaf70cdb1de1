/**
 * One HTTP(S) POST with a deadline on the injected clock, for what leaves the collector as
 * requests: witness records and notifications. The caller decides what an answer means.
 */
import { request as httpRequest, Agent as HttpAgent } from 'node:http'
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import { rootCertificates } from 'node:tls'
import type { Clock } from '@tradetrail/core'

/** A keep-alive agent for `url`, trusting `ca` (PEM) besides the system's certificates. */
export function agentFor(url: URL, ca?: string): HttpAgent {
  return url.protocol === 'https:'
    ? new HttpsAgent({ keepAlive: true, ...(ca !== undefined ? { ca: [...rootCertificates, ca] } : {}) })
    : new HttpAgent({ keepAlive: true })
}

export interface PostOptions {
  url: URL
  agent: HttpAgent
  headers: Record<string, string | number>
  body: Buffer
  timeoutMs: number
  clock: Clock
}

/** The answer: its status and, for a status other than 2xx, up to 4 KiB of its body (it says why). */
export interface PostAnswer {
  status: number
  body: string
}

const ANSWER_BYTES = 4096

/**
 * Sends the body and resolves with the answer, whatever its status. Rejects with an Error whose
 * message is short data naming the cause: the system error code (`ECONNREFUSED`), or
 * `no answer within N ms`.
 */
export function post(options: PostOptions): Promise<PostAnswer> {
  const { url, timeoutMs } = options
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  const headers = { 'content-length': options.body.length, ...options.headers }
  return new Promise((resolve, reject) => {
    let settled = false
    const settle = (answer: PostAnswer | Error): void => {
      if (settled) return
      settled = true
      timer.cancel()
      if (answer instanceof Error) reject(answer)
      else resolve(answer)
    }
    const req = send(url, { method: 'POST', headers, agent: options.agent }, (res) => {
      const status = res.statusCode ?? 0
      if (status >= 200 && status < 300) {
        // Taken: what the answer says besides does not matter, and waiting for its end would only delay the caller.
        res.resume()
        return settle({ status, body: '' })
      }
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { if (body.length < ANSWER_BYTES) body += chunk })
      res.on('end', () => settle({ status, body: body.slice(0, ANSWER_BYTES) }))
      res.on('error', (error: NodeJS.ErrnoException) => settle(new Error(error.code ?? error.message)))
    })
    const timer = options.clock.setTimer(timeoutMs, () => {
      settle(new Error(`no answer within ${timeoutMs} ms`))
      req.destroy()
    })
    req.on('error', (error: NodeJS.ErrnoException) => settle(new Error(error.code ?? error.message)))
    req.end(options.body)
  })
}
