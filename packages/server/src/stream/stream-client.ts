/**
 * One live stream connection over the commit feed. It follows the feed from its `after_seq`,
 * keeps the events its filter passes and sends each delivery as one frame (so frames batch
 * events when commits do). Its buffer is bounded: while more than `bufferBytes` wait unsent
 * for it, the events it cannot take are skipped, and once it has read what was queued it is sent
 * one gap notice naming the skipped range, which it can fetch from GET /v1/events. A slow client
 * thus costs the collector neither memory nor store reads, and never loses an event unseen.
 * The backlog it asked for (events up to the head when it connected) is the exception: that is
 * sent at the client's pace, read from the store a chunk at a time.
 */
import type { Feed, FeedEvent, FeedSubscription, TradetrailError } from '@tradetrail/core'
import type { WebSocket } from 'ws'
import { closeWithError } from './stream-close.ts'
import type { EventMatch } from './stream-filter.ts'
import type { StreamFrames } from './stream-frames.ts'

export interface StreamClientOptions {
  socket: WebSocket
  feed: Feed
  /** Send the events after this seq. */
  afterSeq: number
  match: EventMatch | undefined
  frames: StreamFrames
  /** Bytes that may wait unsent before live events are skipped (and reported as a gap). */
  bufferBytes: number
  nowMicros: () => number
  /** Called for each gap reported, and for a failure of the feed. */
  onGap?: (from: number, to: number) => void
  onError?: (error: unknown) => void
}

interface Gap {
  from: number
  to: number
  missed: number
}

export class StreamClient {
  readonly #o: StreamClientOptions
  readonly #socket: WebSocket
  readonly #replayThrough: number
  #subscription: FeedSubscription | undefined
  /** seq through which the client has been sent every matching event, or told of a gap. */
  #sentThrough: number
  /** Events skipped since the buffer filled, not yet reported. */
  #gap: Gap | undefined
  #sends = 0
  #flushWaiters: Array<() => void> = []
  #alive = true
  #closed = false

  constructor(options: StreamClientOptions) {
    this.#o = options
    this.#socket = options.socket
    this.#sentThrough = options.afterSeq
    this.#replayThrough = options.feed.head
    this.#socket.on('pong', () => { this.#alive = true })
    this.#socket.once('close', () => this.#stop())
  }

  /** seq through which the client has everything (sent, or reported as a gap). */
  get sentThrough(): number {
    return this.#sentThrough
  }

  start(): void {
    if (this.#closed) return
    this.#subscription = this.#o.feed.follow(this.#o.afterSeq, (events) => this.#deliver(events), { onError: this.#o.onError })
  }

  /**
   * Pings the client and sends it a heartbeat frame; false when it has not answered the previous
   * ping (then it is gone or has stopped reading for a whole interval, and is terminated).
   */
  heartbeat(head: number): boolean {
    if (this.#closed) return true
    if (!this.#alive) {
      this.#socket.terminate()
      return false
    }
    this.#alive = false
    this.#socket.ping()
    if (this.#gap === undefined) {
      const frame = this.#o.frames.heartbeat(this.#sentThrough, head, this.#o.nowMicros())
      if (frame !== undefined) this.#send(frame)
    }
    return true
  }

  /** Ends the stream normally (1001 when the collector stops). */
  close(code: number, reason: string): void {
    this.#stop()
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.close(code, reason)
  }

  /** Ends the stream for `error` (stream-close.ts): its token expired or was revoked. */
  fail(error: TradetrailError): void {
    this.#stop()
    closeWithError(this.#socket, this.#o.frames, error, this.#o.nowMicros())
  }

  #deliver(events: readonly FeedEvent[]): void | Promise<void> {
    if (this.#closed) return
    const first = events[0]!.seq
    const last = events[events.length - 1]!.seq
    const { match, bufferBytes } = this.#o
    const matching = match === undefined ? events : events.filter(match)
    const waiting = this.#socket.bufferedAmount
    if (this.#gap !== undefined) {
      if (waiting > bufferBytes / 2) {
        this.#gap.to = last
        this.#gap.missed += matching.length
        return
      }
      this.#reportGap()
    }
    if (matching.length > 0) {
      if (waiting > bufferBytes) {
        // The backlog the client asked for waits for it; live events do not.
        if (first <= this.#replayThrough) return this.#flushed().then(() => this.#deliver(events))
        this.#gap = { from: first, to: last, missed: matching.length }
        return
      }
      this.#send(this.#o.frames.events(matching, matching.length === last - first + 1))
    }
    this.#sentThrough = last
  }

  #reportGap(): void {
    const gap = this.#gap!
    this.#gap = undefined
    this.#send(this.#o.frames.gap(gap.from, gap.to, gap.missed, this.#o.nowMicros()))
    this.#sentThrough = gap.to
    this.#o.onGap?.(gap.from, gap.to)
  }

  #send(frame: Buffer): void {
    if (this.#closed || this.#socket.readyState !== this.#socket.OPEN) return
    const n = ++this.#sends
    this.#socket.send(frame, { binary: false }, () => {
      // The newest frame written out: nothing waits for this client any more.
      if (n === this.#sends) this.#drained()
    })
  }

  #drained(): void {
    if (this.#closed) return
    if (this.#gap !== undefined) this.#reportGap()
    for (const resolve of this.#flushWaiters.splice(0)) resolve()
  }

  /** Resolves once every frame sent so far is written out (or the connection is gone). */
  #flushed(): Promise<void> {
    return new Promise((resolve) => this.#flushWaiters.push(resolve))
  }

  #stop(): void {
    if (this.#closed) return
    this.#closed = true
    this.#subscription?.close()
    for (const resolve of this.#flushWaiters.splice(0)) resolve()
  }
}
