/**
 * Every live stream of a collector: how many each token holds (at most `maxPerToken`), one
 * heartbeat timer for all, and the token checks that outlive the handshake. A stream ends with
 * close code 4401 when its token expires (at its `expires_at`) or is revoked or rotated away —
 * through this collector, the CLI or another collector: the `token_*` records reach this one
 * over the commit feed, as they reach the token cache (collector/serve.ts).
 */
import { type Clock, ERR_STREAM_LIMIT, type Feed, type FeedSubscription, SELF_PROJECT, type TokenInfo, TradetrailError, timestampMillis } from '@tradetrail/core'
import { TOKEN_EVENT_TYPES } from '../auth/token-events.ts'
import type { TokenCache } from '../auth/token-cache.ts'
import { authenticate } from '../auth/tokens.ts'
import type { StreamClient } from './stream-client.ts'

export interface StreamHubOptions {
  feed: Feed
  tokens: TokenCache
  clock: Clock
  maxPerToken: number
  heartbeatMs: number
  /** Told each time the number of open streams changes. */
  onCount?: (open: number) => void
}

interface Entry {
  client: StreamClient
  token: TokenInfo
  /** The `Authorization` value the stream opened with, to check its token again; never logged. */
  authorization: string
  expiry: NodeJS.Timeout | undefined
}

/** Longest a timer can wait (setTimeout's limit); a later expiry is checked again at each heartbeat. */
const MAX_TIMER_MS = 2 ** 31 - 1

export class StreamHub {
  readonly #o: StreamHubOptions
  readonly #byToken = new Map<string, Set<Entry>>()
  readonly #watch: FeedSubscription
  readonly #timer: NodeJS.Timeout
  #open = 0

  constructor(options: StreamHubOptions) {
    this.#o = options
    this.#watch = options.feed.follow(options.feed.head, (events) => {
      for (const e of events) {
        if (e.project !== SELF_PROJECT || !TOKEN_EVENT_TYPES.has(e.type)) continue
        const id = e.event().data?.id
        if (typeof id !== 'string' || !this.#byToken.has(id)) continue
        // The cache may not have heard of it yet (serve.ts follows the feed too): read the store again.
        options.tokens.invalidate(id)
        for (const entry of this.#byToken.get(id)!) void this.#check(entry)
      }
    })
    this.#timer = setInterval(() => this.#heartbeat(), options.heartbeatMs).unref()
  }

  /** Throws TT_ERR_STREAM_LIMIT when `token` holds as many streams as it may. */
  admit(token: TokenInfo): void {
    if ((this.#byToken.get(token.id)?.size ?? 0) >= this.#o.maxPerToken) throw ERR_STREAM_LIMIT.create(this.#o.maxPerToken)
  }

  /** Adds a started stream; it is forgotten when `socket` closes. */
  add(client: StreamClient, socket: { once(event: 'close', listener: () => void): unknown }, token: TokenInfo, authorization: string): void {
    this.admit(token)
    const entry: Entry = { client, token, authorization, expiry: undefined }
    this.#arm(entry)
    let entries = this.#byToken.get(token.id)
    if (entries === undefined) this.#byToken.set(token.id, (entries = new Set()))
    entries.add(entry)
    this.#o.onCount?.(++this.#open)
    socket.once('close', () => {
      clearTimeout(entry.expiry)
      if (!entries.delete(entry)) return
      if (entries.size === 0) this.#byToken.delete(token.id)
      this.#o.onCount?.(--this.#open)
    })
  }

  /** Ends every stream (code 1001: the collector is going away) and stops watching. */
  close(): void {
    this.#watch.close()
    clearInterval(this.#timer)
    for (const entries of this.#byToken.values()) for (const entry of entries) entry.client.close(1001, 'the collector is shutting down; reconnect with after_seq')
  }

  /** Checks the token again at its expiry. */
  #arm(entry: Entry): void {
    clearTimeout(entry.expiry)
    if (entry.token.expires_at === null) return
    const ms = timestampMillis(entry.token.expires_at) - this.#o.clock.nowMicros() / 1000
    entry.expiry = setTimeout(() => void this.#check(entry), Math.min(Math.max(ms, 0), MAX_TIMER_MS)).unref()
  }

  /** Checks the token of a stream again, as a request would, and ends the stream when it no longer passes. */
  async #check(entry: Entry): Promise<void> {
    try {
      entry.token = await authenticate(this.#o.tokens, entry.authorization, this.#o.clock)
      // A rotation moves the expiry; an expiry beyond the timer's reach is looked at again then.
      this.#arm(entry)
    } catch (error) {
      if (error instanceof TradetrailError) entry.client.fail(error)
    }
  }

  #heartbeat(): void {
    const head = this.#o.feed.head
    for (const entries of this.#byToken.values()) for (const entry of entries) entry.client.heartbeat(head)
  }
}
