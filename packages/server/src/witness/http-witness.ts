/**
 * A witness endpoint: each record is POSTed as JSON with an `Idempotency-Key`, so that the
 * receiver keeps a record sent again (after a lost answer, by a retry or another process) once.
 * Any 2xx answer means delivered; anything else, or no answer within the timeout (on the
 * injected clock), is a failure the delivery retries.
 */
import type { Agent } from 'node:http'
import { type Clock, ERR_WITNESS_DELIVERY } from '@tradetrail/core'
import { agentFor, post } from '../http-post.ts'
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
  readonly #agent: Agent

  constructor(options: HttpWitnessOptions) {
    this.#options = options
    this.#url = new URL(options.url)
    this.where = `${this.#url.origin}${this.#url.pathname}`
    this.#agent = agentFor(this.#url, options.ca)
  }

  async deliver(record: WitnessRecord): Promise<void> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': witnessKey(record), 'user-agent': 'tradetrail-witness/1' }
    if (this.#options.token !== undefined) headers.authorization = `Bearer ${this.#options.token}`
    const fail = (cause: string): Error => ERR_WITNESS_DELIVERY.create(this.where, record.kind, record.seq, cause)
    const { status } = await post({ url: this.#url, agent: this.#agent, headers, body: Buffer.from(JSON.stringify(record)), timeoutMs: this.#options.timeoutMs, clock: this.#options.clock })
      .catch((error: Error) => { throw fail(error.message) })
    if (status < 200 || status >= 300) throw fail(`HTTP ${status}`)
  }

  close(): void {
    this.#agent.destroy()
  }
}
