/**
 * A channel that notifications go out through: Slack, Discord, email, an HTTP webhook. The
 * outbox (outbox-delivery.ts) calls `send` until it resolves; a channel never retries itself.
 */
import type { Notification } from '@tradetrail/core'

export type ChannelKind = 'slack' | 'discord' | 'email' | 'webhook'

export interface Notifier {
  /** The channel's name, stored with each outbox entry; one channel per kind in the default route. */
  readonly name: ChannelKind
  /** Where it sends to, without credentials, for messages. */
  readonly where: string
  /**
   * Resolves once the channel took the notification; rejects with TT_ERR_NOTIFY_DELIVERY.
   * `key` is the outbox entry's idempotency key: a channel that can pass it on does, so that a
   * resend after a lost answer is kept once.
   */
  send(notification: Notification, key: string): Promise<void>
  close(): void
}

/** The emoji and colour a severity shows with on the chat channels. */
export const SEVERITY_LOOK: Record<Notification['severity'], { emoji: string; color: number }> = {
  debug: { emoji: '🔍', color: 0x95a5a6 },
  info: { emoji: 'ℹ️', color: 0x3498db },
  notice: { emoji: '📌', color: 0x1abc9c },
  warning: { emoji: '⚠️', color: 0xf1c40f },
  error: { emoji: '❌', color: 0xe67e22 },
  critical: { emoji: '🚨', color: 0xe74c3c },
}

/** Cuts `text` to at most `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : text.slice(0, max - 1) + '…'
}

/** Text as HTML text or attribute value. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
