/** What the Slack, Discord and generic webhook channels share: a JSON POST whose 2xx answer means taken. */
import type { Agent } from 'node:http'
import { type Clock, ERR_NOTIFY_DELIVERY } from '@tradetrail/core'
import { agentFor, post } from '../http-post.ts'
import type { ChannelKind } from './notifier.ts'

export interface JsonWebhookOptions {
  url: string
  timeoutMs: number
  clock: Clock
}

export class JsonWebhook {
  /** The URL without its path: a webhook's path is its secret. */
  readonly where: string
  readonly #url: URL
  readonly #agent: Agent
  readonly #options: JsonWebhookOptions

  constructor(readonly channel: ChannelKind, options: JsonWebhookOptions, query: Record<string, string> = {}) {
    this.#options = options
    this.#url = new URL(options.url)
    for (const [k, v] of Object.entries(query)) this.#url.searchParams.set(k, v)
    this.where = `${this.#url.origin}/…`
    this.#agent = agentFor(this.#url)
  }

  /** POSTs `body` as JSON; a non-2xx answer or none is TT_ERR_NOTIFY_DELIVERY. */
  async post(body: string, headers: Record<string, string> = {}): Promise<void> {
    const answer = await post({
      url: this.#url, agent: this.#agent, headers: { 'content-type': 'application/json', 'user-agent': 'tradetrail-notify/1', ...headers },
      body: Buffer.from(body), timeoutMs: this.#options.timeoutMs, clock: this.#options.clock,
    }).catch((error: Error) => { throw ERR_NOTIFY_DELIVERY.create(this.channel, this.where, error.message) })
    if (answer.status < 200 || answer.status >= 300) {
      throw ERR_NOTIFY_DELIVERY.create(this.channel, this.where, `HTTP ${answer.status}${answer.body === '' ? '' : ` ${JSON.stringify(answer.body.slice(0, 100))}`}`)
    }
  }

  close(): void {
    this.#agent.destroy()
  }
}
