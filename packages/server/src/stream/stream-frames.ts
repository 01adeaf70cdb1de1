/**
 * What a stream client is sent, as WebSocket text frames. `tradetrail.v1` (GET /v1/stream) sends
 * JSON frames (docs/api.md, "GET /v1/stream"); seed 001's `/ws/audit` sends seed 000's text lines
 * `[ts] message`, as that page appends whatever arrives to its log view.
 */
import { type FeedEvent, type TradetrailError, formatMicros } from '@tradetrail/core'

export interface StreamFrames {
  /** One frame carrying `events` (each matching the client's filter), oldest first. */
  events(events: readonly FeedEvent[], contiguous: boolean): Buffer
  /** Tells the client that the events in seq from..to were not sent (`missed` of them match its filter). */
  gap(from: number, to: number, missed: number, nowMicros: number): Buffer
  /** A keep-alive saying how far the client has been brought (`seq`) and where the trail ends (`head`); none when undefined. */
  heartbeat(seq: number, head: number, nowMicros: number): Buffer | undefined
  /** Why the stream is refused or ends (the close that follows carries the code too). */
  error(error: TradetrailError, nowMicros: number): Buffer
}

/**
 * `tradetrail.v1` JSON frames. The frame of an unfiltered run of events is made once and shared
 * by every client it goes to: fan-out to many unfiltered clients costs one concatenation and
 * one UTF-8 encoding per commit, not one per client.
 */
export class JsonFrames implements StreamFrames {
  #shared: { first: number; last: number; frame: Buffer } | undefined

  events(events: readonly FeedEvent[], contiguous: boolean): Buffer {
    const first = events[0]!.seq
    const last = events[events.length - 1]!.seq
    const shared = this.#shared
    // Contiguous runs with the same ends hold the same events.
    if (contiguous && shared !== undefined && shared.first === first && shared.last === last) return shared.frame
    let text = '{"type":"events","events":['
    for (let i = 0; i < events.length; i++) text += (i === 0 ? '' : ',') + events[i]!.json
    const frame = Buffer.from(text + ']}')
    if (contiguous) this.#shared = { first, last, frame }
    return frame
  }

  gap(from: number, to: number, missed: number): Buffer {
    return Buffer.from(JSON.stringify({ type: 'gap', from_seq: from, to_seq: to, missed }))
  }

  heartbeat(seq: number, head: number, nowMicros: number): Buffer {
    return Buffer.from(JSON.stringify({ type: 'heartbeat', seq, head, time: formatMicros(nowMicros) }))
  }

  error(error: TradetrailError): Buffer {
    return Buffer.from(JSON.stringify({ type: 'error', error: error.toJSON() }))
  }
}

/** seed 000's log line of an event; line breaks in the message become spaces, so one event stays one line. */
export function seedLine(event: { ts: string; message: string }): string {
  return `[${event.ts}] ${event.message.replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')}\n`
}

/** Seed 001's `/ws/audit`: text lines, a gap as a line of its own; no heartbeat text (a WebSocket ping only). */
export class LineFrames implements StreamFrames {
  events(events: readonly FeedEvent[]): Buffer {
    let text = ''
    for (const e of events) text += seedLine(e.event())
    return Buffer.from(text)
  }

  gap(from: number, to: number, missed: number, nowMicros: number): Buffer {
    return Buffer.from(seedLine({ ts: seconds(nowMicros), message: `Tradetrail: this view fell behind and skipped ${missed} events (seq ${from} to ${to}); reload to see them` }))
  }

  error(error: TradetrailError, nowMicros: number): Buffer {
    return Buffer.from(seedLine({ ts: seconds(nowMicros), message: `Tradetrail: ${error.code}: ${error.message}` }))
  }

  heartbeat(): undefined {
    return undefined
  }
}

/** seed 000's timestamps: whole seconds. */
function seconds(micros: number): string {
  return formatMicros(micros).replace(/\.\d+Z$/, 'Z')
}
