/**
 * The commit feed: the trail as it grows, in seq order, from any seq. It is what the live
 * stream, the notifier and the NATS bridge read. Events committed by this process arrive at
 * once; events committed by another process (the CLI, a second collector) within 100 ms.
 * A consumer sees every seq once, in order, with no gap, also across resumes.
 */
import type { Severity, StoredEvent } from './event.ts'

/** One committed event, with what filters look at, and its JSON made once for every reader. */
export interface FeedEvent {
  readonly seq: number
  readonly project: string
  readonly type: string
  readonly severity: Severity
  readonly source: string | undefined
  /** Sortable form of `ts` (timestamp.ts). */
  readonly tsKey: string
  /**
   * Whether the event may carry server-set flags (`privilege_violation`, `clock_skew`): false
   * means it has none; true, that `event().flags` says which (rarely none: a `"flags"` key in `data`).
   */
  readonly flagged: boolean
  /** The stored event as JSON text, `hash` included. */
  readonly json: string
  /** The stored event (parsed on first use). */
  event(): StoredEvent
}

/** A consumer's hold on the feed. */
export interface FeedSubscription {
  /** seq of the last event handed to the consumer. */
  readonly cursor: number
  /** Stops delivery; a consumer call in progress finishes. */
  close(): void
}

/**
 * Receives the next events after the cursor, oldest first. The feed waits for a returned
 * promise before handing over more, so a slow consumer holds its own place in the trail
 * (read back from the store when it falls behind memory) and never slows the writer.
 */
export type FeedConsumer = (events: readonly FeedEvent[]) => void | Promise<void>

export interface Feed {
  /** Highest seq the feed has seen committed. */
  readonly head: number
  /** Delivers every event with seq > afterSeq, then each new one as it commits. */
  follow(afterSeq: number, consumer: FeedConsumer, options?: { onError?: (error: unknown) => void }): FeedSubscription
}

/** A FeedEvent over a StoredEvent read back from a store. */
export function feedEventOf(event: StoredEvent, tsKey: string): FeedEvent {
  let json: string | undefined
  return {
    seq: event.seq, project: event.project, type: event.type, severity: event.severity, source: event.source, tsKey,
    flagged: event.flags !== undefined && event.flags.length > 0,
    get json() { return (json ??= JSON.stringify(event)) },
    event: () => event,
  }
}

/**
 * Whether an event's canonical text (or the part of it before `received_at`) may hold a
 * `flags` member: a scan for `"flags":[`, which string values cannot contain unescaped. Cheaper
 * than building or parsing the text, for the feed's `flagged`.
 */
export function mayHaveFlags(canonical: string): boolean {
  return canonical.includes('"flags":[')
}
