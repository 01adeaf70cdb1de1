/**
 * A Discord webhook: the title as `content` (seed 000 sent `{"content": …}`), the rest as embeds.
 * Discord's limits are kept: content 2000 characters, an embed's title 256, description 4096,
 * 25 fields of 256/1024, footer 2048, 6000 characters over a message's embeds. A longer text is
 * split over several messages, sent in order. Mentions in event text ping no one.
 */
import type { Notification } from '@tradetrail/core'
import { JsonWebhook, type JsonWebhookOptions } from './json-webhook.ts'
import { type Notifier, SEVERITY_LOOK, clip } from './notifier.ts'

const DESCRIPTION = 4096
const MESSAGE_EMBED_CHARS = 6000
const MAX_MESSAGES = 10

/** The messages of a notification, in sending order (exported for the payload tests). */
export function discordMessages(n: Notification, sentAt: string): Array<Record<string, unknown>> {
  const look = SEVERITY_LOOK[n.severity]
  const title = clip(`${look.emoji} ${n.title}`, 256)
  const fields = n.fields.slice(0, 25).map(([name, value]) => ({ name: clip(name, 256), value: clip(value === '' ? '—' : value, 1024), inline: value.length <= 40 }))
  const footer = { text: clip(`Tradetrail · ${n.severity}${n.alert_id === null ? '' : ` · alert ${n.alert_id}`}`, 2048) }
  const used = title.length + footer.text.length + fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0)
  const first = Math.min(DESCRIPTION, MESSAGE_EMBED_CHARS - used)
  const text = n.formatted?.discord ?? n.text
  const chunks = [text.slice(0, first)]
  for (let at = first; at < text.length && chunks.length < MAX_MESSAGES; at += DESCRIPTION) chunks.push(text.slice(at, at + DESCRIPTION))
  return chunks.map((description, i) => ({
    ...(i === 0 ? { content: clip(`${look.emoji} **${n.title}**`, 2000) } : {}),
    embeds: [i === 0
      ? { title, description, color: look.color, fields, footer, timestamp: sentAt }
      : { description, color: look.color, footer: { text: `(${i + 1}/${chunks.length})` } }],
    allowed_mentions: { parse: [] },
  }))
}

export class DiscordNotifier implements Notifier {
  readonly name = 'discord'
  readonly #hook: JsonWebhook
  readonly #options: JsonWebhookOptions
  constructor(options: JsonWebhookOptions) {
    this.#options = options
    // wait=true: Discord answers 200 once the message is posted, instead of 204 before.
    this.#hook = new JsonWebhook('discord', options, { wait: 'true' })
  }
  get where(): string { return this.#hook.where }
  async send(n: Notification): Promise<void> {
    const sentAt = new Date(this.#options.clock.nowMicros() / 1000).toISOString()
    for (const message of discordMessages(n, sentAt)) await this.#hook.post(JSON.stringify(message))
  }
  close(): void { this.#hook.close() }
}
