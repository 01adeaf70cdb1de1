/**
 * Email over SMTP (nodemailer): a text part and an HTML part. STARTTLS is used whenever the
 * server offers it (required with `requireTls`), implicit TLS on port 465, AUTH PLAIN/LOGIN
 * when a user is configured. The Message-ID is made from the outbox key, so a resend after a
 * lost answer threads with (and is de-duplicated by) the mail clients that honour it.
 * nodemailer's own socket timeouts apply (on the system clock).
 */
import { hostname } from 'node:os'
import nodemailer, { type Transporter } from 'nodemailer'
import { ERR_NOTIFY_DELIVERY, type Notification } from '@tradetrail/core'
import { type Notifier, escapeHtml } from './notifier.ts'

export interface EmailOptions {
  host: string
  port: number
  /** Recipients, comma-separated (QT_AUDIT_EMAIL). */
  to: string
  from?: string
  user?: string
  password?: string
  requireTls: boolean
  /** PEM certificates to trust besides the system's. */
  ca?: string
  timeoutMs: number
}


/** The subject, text and HTML of a notification (exported for the tests). */
export function emailContent(n: Notification): { subject: string; text: string; html: string } {
  const subject = `[Tradetrail] ${n.severity.toUpperCase()}: ${n.title}`.replace(/[\r\n]+/g, ' ').slice(0, 200)
  const fields = n.fields.map(([name, value]) => `${name}: ${value}`).join('\n')
  const text = `${n.title}\n\n${n.text}\n${fields === '' ? '' : `\n${fields}\n`}${n.alert_id === null ? '' : `\nAcknowledge: tradetrail alerts ack ${n.alert_id}\n`}`
  const rows = n.fields.map(([name, value]) => `<tr><th align="left">${escapeHtml(name)}</th><td>${escapeHtml(value)}</td></tr>`).join('')
  const html = `<!doctype html><html><body><h2>${escapeHtml(n.title)}</h2>${n.formatted?.html ?? `<p style="white-space:pre-wrap">${escapeHtml(n.text)}</p>`}` +
    (rows === '' ? '' : `<table>${rows}</table>`) +
    (n.alert_id === null ? '' : `<p>Acknowledge: <code>tradetrail alerts ack ${escapeHtml(n.alert_id)}</code></p>`) + '</body></html>'
  return { subject, text, html }
}

export class EmailNotifier implements Notifier {
  readonly name = 'email'
  readonly where: string
  readonly #transport: Transporter
  readonly #options: EmailOptions

  constructor(options: EmailOptions) {
    this.#options = options
    this.where = `smtp://${options.host}:${options.port}`
    this.#transport = nodemailer.createTransport({
      host: options.host, port: options.port, secure: options.port === 465, requireTLS: options.requireTls,
      ...(options.user !== undefined ? { auth: { user: options.user, pass: options.password ?? '' } } : {}),
      ...(options.ca !== undefined ? { tls: { ca: [options.ca] } } : {}),
      connectionTimeout: options.timeoutMs, greetingTimeout: options.timeoutMs, socketTimeout: options.timeoutMs,
    })
  }

  async send(n: Notification, key: string): Promise<void> {
    const content = emailContent(n)
    try {
      await this.#transport.sendMail({
        from: this.#options.from ?? `Tradetrail <tradetrail@${hostname()}>`, to: this.#options.to, ...content, messageId: `<${key}@tradetrail>`,
      })
    } catch (error) {
      const e = error as { code?: string; responseCode?: number; message: string }
      throw ERR_NOTIFY_DELIVERY.create('email', this.where, e.responseCode !== undefined ? `SMTP ${e.responseCode}` : e.code ?? e.message)
    }
  }

  close(): void {
    this.#transport.close()
  }
}
