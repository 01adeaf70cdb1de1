/**
 * A witness endpoint: each record is POSTed as JSON with an `Idempotency-Key`, so that the
 * receiver keeps a record sent again (after a lost answer, by a retry or another process) once.
 * Any 2xx answer means delivered; anything else, or no answer within the timeout (on the
 * injected clock), is a failure the delivery retries.
 */
import { request as httpRequest, Agent as HttpAgent } from 'node:http'
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https'
import { rootCertificates } from 'node:tls'
import { type Clock, ERR_WITNESS_DELIVERY } from '@tradetrail/core'
import type { WitnessTarget } from './witness-delivery.ts'
import { type WitnessRecord, witnessKey } from './witness-record.ts'

export interface HttpWitnessOptions {
  url: string
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string
  /** PEM certificates to trust besides the system's (a private CA, a self-signed endpoint). */
  ca?: string
  timeoutMs: number
  clock: Clock
}

export class HttpWitness implements WitnessTarget {
  readonly kind = 'http'
  /** The URL without credentials, for messages. */
  readonly where: string
  readonly #url: URL
  readonly #options: HttpWitnessOptions
  readonly #agent: HttpAgent

  constructor(options: HttpWitnessOptions) {
    this.#options = options
    this.#url = new URL(options.url)
    this.where = `${this.#url.origin}${this.#url.pathname}`
    this.#agent = this.#url.protocol === 'https:'
      ? new HttpsAgent({ keepAlive: true, ...(options.ca !== undefined ? { ca: [...rootCertificates, options.ca] } : {}) })
      : new HttpAgent({ keepAlive: true })
  }

  deliver(record: WitnessRecord): Promise<void> {
    const body = Buffer.from(JSON.stringify(record))
    const headers: Record<string, string | number> = {
      'content-type': 'application/json', 'content-length': body.length, 'idempotency-key': witnessKey(record), 'user-agent': 'tradetrail-witness/1',
    }
    if (this.#options.token !== undefined) headers.authorization = `Bearer ${this.#options.token}`
    const fail = (cause: string): Error => ERR_WITNESS_DELIVERY.create(this.where, record.kind, record.seq, cause)
    const send = this.#url.protocol === 'https:' ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      let settled = false
      const settle = (error?: Error): void => {
        if (settled) return
        settled = true
        timer.cancel()
        if (error === undefined) resolve()
        else reject(error)
      }
      const req = send(this.#url, { method: 'POST', headers, agent: this.#agent }, (res) => {
        res.resume() // the answer's body says nothing the status does not
        const status = res.statusCode ?? 0
        settle(status >= 200 && status < 300 ? undefined : fail(`HTTP ${status}`))
      })
      const timer = this.#options.clock.setTimer(this.#options.timeoutMs, () => {
        settle(fail(`no answer within ${this.#options.timeoutMs} ms`))
        req.destroy()
      })
      req.on('error', (error: NodeJS.ErrnoException) => settle(fail(error.code ?? error.message)))
      req.end(body)
    })
  }

  close(): void {
    this.#agent.destroy()
  }
}
