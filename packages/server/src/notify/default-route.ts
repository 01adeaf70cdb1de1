/**
 * The default route, as seed 000 sent: the chat webhook of QT_ALERT_WEBHOOK (Slack or Discord,
 * told by its URL unless TRADETRAIL_ALERT_WEBHOOK_KIND says), email to QT_AUDIT_EMAIL through
 * QT_SMTP_SERVER:QT_SMTP_PORT (localhost:25 unless set), and the signed HTTP webhook when
 * configured. Nothing configured: no channel, and alerts are only records.
 */
import type { Clock } from '@tradetrail/core'
import { type TradetrailConfig, readSettingFile } from '../config.ts'
import { DiscordNotifier } from './discord-notifier.ts'
import { EmailNotifier } from './email-notifier.ts'
import type { Notifier } from './notifier.ts'
import { SlackNotifier } from './slack-notifier.ts'
import { WebhookNotifier } from './webhook-notifier.ts'
import { webhookKind } from './webhook-kind.ts'

export type RouteConfig = Pick<TradetrailConfig, 'alertWebhook' | 'alertWebhookKind' | 'auditEmail' | 'smtpServer' | 'smtpPort' | 'smtpUser' | 'smtpPassword' |
  'smtpFrom' | 'smtpRequireTls' | 'smtpCa' | 'notifyWebhookUrl' | 'notifyWebhookSecret' | 'notifyTimeoutMs'>

export function defaultRoute(config: Readonly<RouteConfig>, clock: Clock): Notifier[] {
  const channels: Notifier[] = []
  const timeoutMs = config.notifyTimeoutMs
  if (config.alertWebhook !== undefined) {
    const options = { url: config.alertWebhook, timeoutMs, clock }
    // config.ts refused a webhook that is neither, without a kind.
    channels.push((config.alertWebhookKind ?? webhookKind(config.alertWebhook)) === 'slack' ? new SlackNotifier(options) : new DiscordNotifier(options))
  }
  if (config.auditEmail !== undefined) {
    const ca = readSettingFile('TRADETRAIL_SMTP_CA', config.smtpCa)
    channels.push(new EmailNotifier({
      host: config.smtpServer ?? 'localhost', port: config.smtpPort, to: config.auditEmail, from: config.smtpFrom,
      user: config.smtpUser, password: config.smtpPassword, requireTls: config.smtpRequireTls, ca, timeoutMs,
    }))
  }
  if (config.notifyWebhookUrl !== undefined && config.notifyWebhookSecret !== undefined) {
    channels.push(new WebhookNotifier({ url: config.notifyWebhookUrl, secret: config.notifyWebhookSecret, timeoutMs, clock }))
  }
  return channels
}
