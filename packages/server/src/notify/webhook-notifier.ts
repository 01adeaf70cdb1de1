/**
 * A generic HTTP webhook: the notification as JSON, signed. Headers:
 * `Tradetrail-Timestamp` (Unix seconds), `Tradetrail-Signature: sha256=<hex>` — HMAC-SHA256 with
 * the shared secret over `<timestamp>.<body>` — and `Idempotency-Key`, the outbox entry's key,
 * the same on every resend. A receiver checks the signature, refuses old timestamps (replays)
 * and keeps each key once.
 */
import { createHmac } from 'node:crypto'
import type { Notification } from '@tradetrail/core'
import { JsonWebhook, type JsonWebhookOptions } from './json-webhook.ts'
import type { Notifier } from './notifier.ts'

export const SIGNATURE_HEADER = 'tradetrail-signature'
export const TIMESTAMP_HEADER = 'tradetrail-timestamp'

/** The signature header's value for `body` sent at `timestamp` (Unix seconds). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`
}

export class WebhookNotifier implements Notifier {
  readonly name = 'webhook'
  readonly #hook: JsonWebhook
  readonly #options: JsonWebhookOptions & { secret: string }
  constructor(options: JsonWebhookOptions & { secret: string }) {
    this.#options = options
    this.#hook = new JsonWebhook('webhook', options)
  }
  get where(): string { return this.#hook.where }
  send(n: Notification, key: string): Promise<void> {
    const micros = this.#options.clock.nowMicros()
    const timestamp = String(Math.floor(micros / 1e6))
    const body = JSON.stringify({ id: key, type: 'notification', sent_at: new Date(micros / 1000).toISOString(), notification: n })
    return this.#hook.post(body, { 'idempotency-key': key, [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: webhookSignature(this.#options.secret, timestamp, body) })
  }
  close(): void { this.#hook.close() }
}
