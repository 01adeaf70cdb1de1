/**
 * The outbox: every notification is stored here before it is sent, and stays until its
 * channel took it, so an outage of a channel or a restart of the collector delays a
 * notification and never loses it. The contract for storing them, so every store adapter can.
 */
import type { Severity } from './event.ts'

/** A message for people, in the terms every channel can render. */
export interface Notification {
  /** What it is about: an alert, a scheduled or requested summary, a `tradetrail test` message. */
  kind: 'alert' | 'summary' | 'test'
  severity: Severity
  /** One line. */
  title: string
  /** Plain text, may span lines. */
  text: string
  /** Name and value pairs shown beside the text. */
  fields: Array<[string, string]>
  /** The alert it tells of, when it is one. */
  alert_id: string | null
  /**
   * The text already formatted for a channel (a summary's Slack mrkdwn, Discord markdown, email
   * HTML); a channel without one here formats `text` itself.
   */
  formatted?: { slack?: string; discord?: string; html?: string }
}

/** A notification waiting for, or taken by, one channel. Times are RFC 3339 UTC. */
export interface OutboxEntry {
  /** The idempotency key: one entry per key, sent with it so a receiver keeps a resend once. */
  key: string
  /** The channel's name (`slack`, `discord`, `email`, `webhook`). */
  channel: string
  notification: Notification
  created_at: string
  /** Failed attempts so far. */
  attempts: number
  /** Not sent before this time (the backoff after a failure). */
  next_attempt_at: string
  /** `CODE: message` of the latest failure, or null. */
  last_error: string | null
  /** When the channel took it; null while it waits. */
  delivered_at: string | null
}

export interface OutboxStore {
  /** Stores new entries (delivered_at null, attempts 0); an entry whose key is stored already is left as it is. Returns how many were new. */
  enqueue(entries: ReadonlyArray<Pick<OutboxEntry, 'key' | 'channel' | 'notification' | 'created_at'>>): Promise<number>
  /** The undelivered entries of a channel, oldest first (the order they are sent in). */
  undelivered(channel: string, limit: number): Promise<OutboxEntry[]>
  /** Entries newest first: the undelivered ones only, or every one. */
  listOutbox(options: { undeliveredOnly: boolean; limit: number }): Promise<OutboxEntry[]>
  /** Undelivered entries per channel, and how many of them have failed at least once. */
  outboxCounts(): Promise<Array<{ channel: string; pending: number; failing: number }>>
  markDelivered(key: string, at: string): Promise<void>
  /** Counts a failed attempt and sets when the next one is due. */
  markFailed(key: string, error: string, nextAttemptAt: string): Promise<void>
}
