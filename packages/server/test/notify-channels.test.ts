/**
 * The channels against real receivers: local HTTP servers check the Slack, Discord and signed
 * webhook payloads; smtp-server receives the email over STARTTLS with a login. And the outbox
 * delivery under an injected clock: a receiver down for a while gets the notification once,
 * after it is back, at the backoff's exact times.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { SMTPServer } from 'smtp-server'
import { ManualClock, type Notification, formatMicros } from '@tradetrail/core'
import { tempDir, waitFor } from '@tradetrail/test-support'
import { DiscordNotifier } from '../src/notify/discord-notifier.ts'
import { EmailNotifier } from '../src/notify/email-notifier.ts'
import { OutboxDelivery } from '../src/notify/outbox-delivery.ts'
import { SlackNotifier } from '../src/notify/slack-notifier.ts'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookNotifier, webhookSignature } from '../src/notify/webhook-notifier.ts'
import { webhookKind } from '../src/notify/webhook-kind.ts'
import { SqliteOutboxStore } from '../src/stores/sqlite/sqlite-outbox-store.ts'
import { startReceiver } from './helpers/receiver.ts'
import { selfSignedCertificate } from './helpers/tls.ts'

const NOTE: Notification = {
  kind: 'alert', severity: 'critical', title: 'Critical kill_switch from AlphaBot', text: 'Kill switch engaged: all positions closed <now> & @everyone',
  fields: [['Project', 'AlphaBot'], ['Seq', '42'], ['Rule', 'critical_event'], ['Alert', '0123456789ab']], alert_id: '0123456789ab',
}

test('QT_ALERT_WEBHOOK is told apart by host and path', () => {
  assert.equal(webhookKind('https://hooks.slack.com/services/T000/B000/XXXX'), 'slack')
  assert.equal(webhookKind('https://discord.com/api/webhooks/123/abc'), 'discord')
  assert.equal(webhookKind('https://discordapp.com/api/webhooks/123/abc'), 'discord')
  assert.equal(webhookKind('https://hooks.slack.com/other'), undefined)
  assert.equal(webhookKind('https://proxy.example.com/api/webhooks/123/abc'), undefined)
})

test('Slack: a Block Kit message with a fallback text, a header, the text and the fields', async (t) => {
  const receiver = await startReceiver(t)
  const slack = new SlackNotifier({ url: `${receiver.url}/services/T0/B0/secret`, timeoutMs: 5000, clock: new ManualClock() })
  t.after(() => slack.close())
  await slack.send(NOTE)
  assert.equal(receiver.requests.length, 1)
  const [r] = receiver.requests
  assert.equal(r!.headers['content-type'], 'application/json')
  const body = JSON.parse(r!.body)
  assert.equal(body.text, '🚨 Critical kill_switch from AlphaBot')
  assert.deepEqual(body.blocks.map((b: { type: string }) => b.type), ['header', 'section', 'section', 'context'])
  assert.deepEqual(body.blocks[0].text, { type: 'plain_text', text: '🚨 Critical kill_switch from AlphaBot', emoji: true })
  assert.deepEqual(body.blocks[1].text, { type: 'mrkdwn', text: NOTE.text })
  assert.deepEqual(body.blocks[2].fields[0], { type: 'mrkdwn', text: '*Project*\nAlphaBot' })
  assert.equal(slack.where, `${receiver.url}/…`, 'the webhook path (its secret) is not shown')
})

test('Discord: content and embeds within Discord\'s limits, a long text split over messages in order, mentions ping no one', async (t) => {
  const receiver = await startReceiver(t)
  const discord = new DiscordNotifier({ url: `${receiver.url}/api/webhooks/1/secret`, timeoutMs: 5000, clock: new ManualClock(Date.UTC(2025, 11, 18)) })
  t.after(() => discord.close())
  const long = { ...NOTE, text: Array.from({ length: 1200 }, (_, i) => `line ${i} of the report`).join('\n') }
  await discord.send(long)
  assert.ok(receiver.requests.length >= 3, `a ${long.text.length}-character text takes several messages, got ${receiver.requests.length}`)
  let text = ''
  receiver.requests.forEach((r, i) => {
    assert.equal(r.url, '/api/webhooks/1/secret?wait=true')
    const message = JSON.parse(r.body)
    assert.deepEqual(message.allowed_mentions, { parse: [] })
    if (i === 0) assert.equal(message.content, '🚨 **Critical kill_switch from AlphaBot**')
    else assert.equal(message.content, undefined)
    assert.ok((message.content ?? '').length <= 2000)
    let chars = 0
    for (const embed of message.embeds) {
      assert.ok(embed.description.length <= 4096, 'a description holds at most 4096 characters')
      chars += (embed.title ?? '').length + embed.description.length + (embed.footer?.text ?? '').length
      for (const f of embed.fields ?? []) chars += f.name.length + f.value.length
      text += embed.description
    }
    assert.ok(chars <= 6000, `message ${i}: ${chars} characters over its embeds, at most 6000`)
  })
  assert.equal(text, long.text, 'the messages carry the whole text, in order')
  const first = JSON.parse(receiver.requests[0]!.body).embeds[0]
  assert.deepEqual([first.title, first.color, first.timestamp, first.fields[0]], ['🚨 Critical kill_switch from AlphaBot', 0xe74c3c, '2025-12-18T00:00:00.000Z', { name: 'Project', value: 'AlphaBot', inline: true }])
})

test('webhook: JSON signed with HMAC-SHA256 over the timestamp and the body, with the idempotency key', async (t) => {
  const receiver = await startReceiver(t)
  const clock = new ManualClock(Date.UTC(2025, 11, 18, 9, 30))
  const secret = 'a-shared-secret-of-32-characters'
  const hook = new WebhookNotifier({ url: `${receiver.url}/tradetrail`, secret, timeoutMs: 5000, clock })
  t.after(() => hook.close())
  await hook.send(NOTE, 'alert-0123456789ab-webhook')
  const [r] = receiver.requests
  const timestamp = r!.headers[TIMESTAMP_HEADER] as string
  assert.equal(timestamp, String(Date.UTC(2025, 11, 18, 9, 30) / 1000))
  assert.equal(r!.headers['idempotency-key'], 'alert-0123456789ab-webhook')
  assert.equal(r!.headers[SIGNATURE_HEADER], webhookSignature(secret, timestamp, r!.body))
  assert.notEqual(r!.headers[SIGNATURE_HEADER], webhookSignature('another-secret-of-some-length', timestamp, r!.body))
  assert.deepEqual(JSON.parse(r!.body), { id: 'alert-0123456789ab-webhook', type: 'notification', sent_at: '2025-12-18T09:30:00.000Z', notification: NOTE })
})

test('a channel that answers non-2xx, or is not there, fails with TT_ERR_NOTIFY_DELIVERY naming it and the cause', async (t) => {
  const receiver = await startReceiver(t)
  receiver.status = 404
  const slack = new SlackNotifier({ url: `${receiver.url}/services/x`, timeoutMs: 5000, clock: new ManualClock() })
  t.after(() => slack.close())
  await assert.rejects(slack.send(NOTE), (e: Error & { code: string }) => e.code === 'TT_ERR_NOTIFY_DELIVERY' && /channel slack .*HTTP 404 "down"/.test(e.message))
  await receiver.stop()
  await assert.rejects(slack.send(NOTE), (e: Error & { code: string }) => e.code === 'TT_ERR_NOTIFY_DELIVERY' && /ECONN(REFUSED|RESET)/.test(e.message))
})

test('email: smtp-server receives it over STARTTLS with a login, with a text part and an HTML part', async (t) => {
  const tls = selfSignedCertificate(t)
  if (tls === undefined) return
  const mails: Array<{ from: string; to: string[]; raw: string; user: string | undefined; secure: boolean }> = []
  const server = new SMTPServer({
    key: readFileSync(tls.key), cert: readFileSync(tls.cert), authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, callback) {
      if (auth.username === 'tradetrail' && auth.password === 'mail-password') callback(null, { user: auth.username })
      else callback(new Error('bad login'))
    },
    onData(stream, session, callback) {
      let raw = ''
      stream.setEncoding('utf8')
      stream.on('data', (chunk: string) => { raw += chunk })
      stream.on('end', () => {
        mails.push({ from: (session.envelope.mailFrom as { address: string }).address, to: session.envelope.rcptTo.map((r) => r.address), raw, user: session.user as string | undefined, secure: session.secure })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const port = (server.server.address() as { port: number }).port
  const email = new EmailNotifier({
    host: '127.0.0.1', port, to: 'ops@example.com, risk@example.com', from: 'tradetrail@example.com', user: 'tradetrail', password: 'mail-password',
    requireTls: true, ca: readFileSync(tls.cert, 'utf8'), timeoutMs: 10_000,
  })
  t.after(() => email.close())
  await email.send(NOTE, 'alert-0123456789ab-email')
  assert.equal(mails.length, 1)
  const [mail] = mails
  assert.deepEqual([mail!.from, mail!.to, mail!.user, mail!.secure], ['tradetrail@example.com', ['ops@example.com', 'risk@example.com'], 'tradetrail', true])
  const raw = mail!.raw.replace(/=\r?\n/g, '')
  assert.match(raw, /^Subject: \[Tradetrail\] CRITICAL: Critical kill_switch from AlphaBot/m)
  assert.match(raw, /^Message-ID: <alert-0123456789ab-email@tradetrail>/mi)
  assert.match(raw, /Content-Type: multipart\/alternative/)
  const text = raw.slice(raw.indexOf('Content-Type: text/plain'), raw.indexOf('Content-Type: text/html'))
  const html = raw.slice(raw.indexOf('Content-Type: text/html'))
  assert.match(text, /Kill switch engaged: all positions closed <now> & @everyone/)
  assert.match(text, /Acknowledge: tradetrail alerts ack 0123456789ab/)
  assert.match(html, /<h2>Critical kill_switch from AlphaBot<\/h2>/)
  assert.match(html, /closed &#60;now&#62; &#38; @everyone/, 'the event text is escaped in HTML')
})

test('the outbox: a receiver down for a while gets the notification once, after it is back, retried at the backoff\'s times', async (t) => {
  const dir = tempDir(t)
  const receiver = await startReceiver(t)
  receiver.status = 503
  const clock = new ManualClock(Date.UTC(2025, 11, 18))
  const t0 = clock.nowMicros()
  const outbox = new SqliteOutboxStore(join(dir, 'trail.db'))
  t.after(() => outbox.close())
  const slack = new SlackNotifier({ url: `${receiver.url}/services/x`, timeoutMs: 5000, clock })
  const failures: number[] = []
  // random() = 0.5: each delay is three quarters of its ceiling (1 s, 2 s, 4 s, … up to 3 s).
  const delivery = new OutboxDelivery({ outbox, channels: [slack], clock, retryMaxMs: 3000, random: () => 0.5, pollMs: 60_000, onFailure: (_c, _e, ms) => failures.push(ms) })
  t.after(() => delivery.close())
  await outbox.enqueue([{ key: 'alert-1-slack', channel: 'slack', notification: NOTE, created_at: formatMicros(t0) }])
  delivery.start()
  const attempt = async (n: number, nextAfterMs: number): Promise<void> => {
    const [entry] = await waitFor(() => outbox.undelivered('slack', 1), (e) => e[0]?.attempts === n, { describe: `attempt ${n} failed and recorded` })
    assert.equal(entry!.next_attempt_at, formatMicros(clock.nowMicros() + nextAfterMs * 1000))
    assert.equal(receiver.requests.length, n)
  }
  await attempt(1, 750)
  clock.advanceMs(750)
  await attempt(2, 1500)
  clock.advanceMs(1500)
  await attempt(3, 2250)
  clock.advanceMs(2250)
  await attempt(4, 2250) // capped at retryMaxMs
  assert.deepEqual(failures, [750, 1500, 2250, 2250])
  receiver.status = 200
  clock.advanceMs(2250)
  await waitFor(() => outbox.undelivered('slack', 1), (e) => e.length === 0, { describe: 'the entry delivered' })
  assert.equal(receiver.taken.length, 1, 'delivered once')
  assert.equal(receiver.requests.length, 5)
  assert.deepEqual((await outbox.listOutbox({ undeliveredOnly: false, limit: 1 }))[0]!.delivered_at, formatMicros(clock.nowMicros()))
})
