/**
 * A Slack incoming webhook: Block Kit (a header, the text in sections, the fields, a context
 * line), with `text` as the fallback Slack shows in notifications. Block Kit's limits are kept:
 * a header of 150 characters, sections of 3000, 10 fields of 2000, 50 blocks.
 * The details of a report as a thread reply need a bot token and the Web API: not done yet.
 */
import type { Notification } from '@tradetrail/core'
import { JsonWebhook, type JsonWebhookOptions } from './json-webhook.ts'
import { type Notifier, SEVERITY_LOOK, clip } from './notifier.ts'

const SECTION = 3000
const MAX_SECTIONS = 40

/** The Block Kit message of a notification (exported for the payload tests). */
export function slackMessage(n: Notification): Record<string, unknown> {
  const look = SEVERITY_LOOK[n.severity]
  const sections: unknown[] = []
  const text = n.formatted?.slack ?? n.text
  for (let at = 0; at < text.length && sections.length < MAX_SECTIONS; at += SECTION) {
    sections.push({ type: 'section', text: { type: 'mrkdwn', text: text.slice(at, at + SECTION) } })
  }
  const fields = n.fields.slice(0, 10).map(([name, value]) => ({ type: 'mrkdwn', text: clip(`*${name}*\n${value}`, 2000) }))
  return {
    text: clip(`${look.emoji} ${n.title}`, 3000),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: clip(`${look.emoji} ${n.title}`, 150), emoji: true } },
      ...sections,
      ...(fields.length > 0 ? [{ type: 'section', fields }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: `Tradetrail · ${n.severity}${n.alert_id === null ? '' : ` · alert ${n.alert_id}`}` }] },
    ],
  }
}

export class SlackNotifier implements Notifier {
  readonly name = 'slack'
  readonly #hook: JsonWebhook
  constructor(options: JsonWebhookOptions) { this.#hook = new JsonWebhook('slack', options) }
  get where(): string { return this.#hook.where }
  send(n: Notification): Promise<void> { return this.#hook.post(JSON.stringify(slackMessage(n))) }
  close(): void { this.#hook.close() }
}
