/**
 * Summaries sent: the summary of a fixed trail (known events, clock and signing key) equals the
 * checked-in text, and its Slack, Discord and HTML forms carry the same parts; the collector's
 * daily job, under a ManualClock, queues one notification per channel with the day's key at
 * 00:00 UTC and none before or again; `summary --send` twice for a day queues and delivers once;
 * `tradetrail test` records its event and reports each channel's outcome.
 */
import assert from 'node:assert/strict'
import { createPublicKey } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { ManualClock, type OutboxEntry } from '@tradetrail/core'
import { parseJson, runCli, tempDir, waitFor } from '@tradetrail/test-support'
import { PRIVATE_KEY_FILE, verifyCheckpoint } from '../src/checkpoint-signer.ts'
import { loadConfig } from '../src/config.ts'
import { scheduleSummaries, summaryNotification } from '../src/notify/summary-notifications.ts'
import { buildSummary, formatSummaryDiscord, formatSummaryHtml, formatSummarySlack, formatSummaryText } from '../src/summary.ts'
import { KEYS_DIR, openTrail } from '../src/trail/open-trail.ts'
import { startReceiver } from './helpers/receiver.ts'
import { openTestTrail, storedEvents, writeTrail } from './helpers/trail.ts'

const FIXTURES = new URL('./fixtures/', import.meta.url).pathname

/** A day of events with fixed ids, written at a fixed time with a fixed key: the same chain and signature every run. */
const DAY: Array<Record<string, unknown>> = [
  { id: '0193d2a0-0000-7000-8000-000000000001', ts: '2025-12-17T06:00:00Z', project: 'QuantumTrader', type: 'auto_repair', message: 'Auto-repair: <PostgreSQL> check & *OK*' },
  { id: '0193d2a0-0000-7000-8000-000000000002', ts: '2025-12-17T06:00:15Z', project: 'AlphaBot', type: 'order_rejected', severity: 'error', message: 'Order rejected: `insufficient` margin' },
  { id: '0193d2a0-0000-7000-8000-000000000003', ts: '2025-12-17T09:30:00Z', project: 'RiskEngine', type: 'risk_limit_breach', severity: 'critical', message: 'Daily loss limit breached' },
  { id: '0193d2a0-0000-7000-8000-000000000004', ts: '2025-12-17T12:00:00Z', project: 'AlphaBot', type: 'trade_closed', severity: 'notice', message: 'Closed EURUSD' },
]

async function fixedTrail(t: TestContext): Promise<string> {
  const dataDir = join(tempDir(t, 'tt-summary-send'), 'data')
  mkdirSync(join(dataDir, KEYS_DIR), { recursive: true })
  copyFileSync(join(FIXTURES, 'summary-checkpoint-key.pem'), join(dataDir, KEYS_DIR, PRIVATE_KEY_FILE))
  await writeTrail(dataDir, [DAY], { clock: new ManualClock(Date.parse('2025-12-17T23:00:00Z')) })
  return dataDir
}

test('the summary of a fixed trail equals the checked-in text; Slack, Discord and HTML carry the same parts, escaped', async (t) => {
  const dataDir = await fixedTrail(t)
  const trail = await openTestTrail(dataDir)
  t.after(() => trail.close())
  await trail.alerts.raise({ rule: 'critical_event', key: 'critical:RiskEngine:risk_limit_breach', severity: 'critical', title: 'Critical risk_limit_breach from RiskEngine',
    message: 'Daily loss limit breached', project: 'RiskEngine', seq: 3 }, 'a1b2c3d4e5f6', '2025-12-17T09:30:01.000000Z')
  const summary = await buildSummary({ store: trail.store, alerts: trail.alerts, period: 'day', date: '2025-12-17' })
  const expected = readFileSync(join(FIXTURES, 'summary-2025-12-17.txt'), 'utf8')
  assert.equal(formatSummaryText(summary), expected)
  const last = (await storedEvents(dataDir)).at(-1)!
  assert.ok(expected.includes(`🔗 Chain head: seq 4, hash ${last.hash}\n`), 'the head in the text is the stored head')
  const publicKey = createPublicKey(readFileSync(join(FIXTURES, 'summary-checkpoint-key.pem')))
  assert.ok(verifyCheckpoint(summary.chain.signed!, publicKey), 'the signature in the summary verifies with the trail\'s key')

  const slack = formatSummarySlack(summary)
  assert.ok(slack.includes('*❌ Failures and errors (2):*\n```\n'), slack)
  assert.ok(slack.includes('Auto-repair: &lt;PostgreSQL&gt; check &amp; *OK*'), 'Slack control characters are escaped')
  assert.ok(slack.includes('Order rejected: ˋinsufficientˋ margin'), 'a backtick cannot end the code block')
  const discord = formatSummaryDiscord(summary)
  assert.ok(discord.includes('**🔔 Unresolved alerts (1):**\n```\na1b2c3d4e5f6 critical open'), discord)
  const html = formatSummaryHtml(summary)
  assert.ok(html.includes('<pre>[2025-12-17T06:00:00Z] QuantumTrader/auto_repair: Auto-repair: &#60;PostgreSQL&#62; check &#38; *OK*\n'), html)
  for (const part of [summary.chain.signed!.signature, summary.chain.head_hash]) {
    for (const [name, text] of [['slack', slack], ['discord', discord], ['html', html]]) assert.ok(text!.includes(part!), `${name} carries ${part}`)
  }
  const n = summaryNotification(summary)
  assert.deepEqual([n.kind, n.severity, n.title], ['summary', 'warning', 'Tradetrail – Daily Audit Summary (2025-12-17)'])
  assert.equal(`${n.title}\n\n${n.text}`, expected, 'the notification\'s text is the summary without its title')
})

test('the daily job fires once at 00:00 UTC under a ManualClock and queues one notification per channel with the day\'s key', async (t) => {
  const dataDir = await fixedTrail(t)
  const clock = new ManualClock(Date.parse('2025-12-17T23:00:00Z'))
  const trail = await openTrail(loadConfig({ env: {}, flags: { dataDir } }), { role: 'collector', clock, onWarning: () => {} })
  t.after(() => trail.close())
  let nudged = 0
  scheduleSummaries(trail, ['slack', 'email'], () => nudged++)
  const queued = async (): Promise<OutboxEntry[]> => {
    await trail.scheduler!.idle()
    return trail.outbox.listOutbox({ undeliveredOnly: false, limit: 100 })
  }
  assert.deepEqual(await queued(), [], 'nothing at start: a new job owes nothing for the days before it')
  clock.setMs(Date.parse('2025-12-17T23:59:59.999Z'))
  assert.deepEqual(await queued(), [], 'nothing before midnight')
  clock.setMs(Date.parse('2025-12-18T00:00:00Z'))
  const entries = await waitFor(queued, (e) => e.length === 2, { describe: 'two summary entries at midnight' })
  assert.deepEqual(entries.map((e) => e.key).sort(), ['summary-day-2025-12-17-email', 'summary-day-2025-12-17-slack'])
  assert.equal(entries[0]!.notification.title, 'Tradetrail – Daily Audit Summary (2025-12-17)')
  assert.ok(entries[0]!.notification.text.includes('signature: '), 'the head was signed before the summary was built')
  assert.equal(nudged, 1)
  clock.setMs(Date.parse('2025-12-18T23:59:00Z'))
  assert.equal((await queued()).length, 2, 'once a day')
})

test('summary --send twice for one day queues and delivers once; daily_summary is its alias; tradetrail test reports each channel', async (t) => {
  const dataDir = await fixedTrail(t)
  const receiver = await startReceiver(t)
  const env = { QT_ALERT_WEBHOOK: `${receiver.url}/services/T0/B0/secret`, TRADETRAIL_ALERT_WEBHOOK_KIND: 'slack' }
  const first = await runCli(['summary', '--send', '--date', '2025-12-17'], { dataDir, env })
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stdout, /^Tradetrail – Daily Audit Summary \(2025-12-17\)\n/)
  assert.match(first.stdout, /\nslack \(http:\/\/127\.0\.0\.1:\d+\/…\): delivered\n$/)
  assert.equal(receiver.taken.length, 1)
  assert.match(JSON.parse(receiver.taken[0]!.body).blocks[1].text.text, /^\*📊 Total events: 4/)
  const second = await runCli(['daily_summary', '--send', '--date', '2025-12-17', '--json'], { dataDir, env })
  assert.equal(second.code, 0, second.stderr)
  assert.deepEqual(parseJson<{ channels: unknown[] }>(second).channels, [{ channel: 'slack', where: `${receiver.url}/…`, outcome: 'already queued', key: 'summary-day-2025-12-17-slack' }])
  assert.equal(receiver.requests.length, 1, 'the second send delivered nothing')
  const outbox = parseJson<OutboxEntry[]>(await runCli(['alerts', 'outbox', '--all', '--json'], { dataDir }))
  assert.deepEqual(outbox.map((e) => [e.key, e.delivered_at !== null]), [['summary-day-2025-12-17-slack', true]])

  receiver.status = 503
  const down = await runCli(['test'], { dataDir, env })
  assert.equal(down.code, 1, 'a failed channel fails the command')
  assert.match(down.stdout, /^slack \(http:\/\/127\.0\.0\.1:\d+\/…\): failed: .*HTTP 503.*TT_ERR_NOTIFY_DELIVERY/m)
  receiver.status = 200
  const up = await runCli(['test'], { dataDir, env })
  assert.equal(up.code, 0, up.stderr)
  assert.match(up.stdout, /^slack \(.*\): delivered$/m)
  assert.equal(JSON.parse(receiver.taken.at(-1)!.body).text, 'ℹ️ Tradetrail test notification')
  const none = await runCli(['test'], { dataDir })
  assert.equal(none.code, 1)
  assert.match(none.stdout, /no notification channel is configured/)
  const recorded = (await storedEvents(dataDir)).filter((e) => e.type === 'notify_test')
  assert.equal(recorded.length, 3, 'each run recorded its test event')

  const bad = await runCli(['summary', '--send', '--date', '2025-02-30'], { dataDir, env })
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /--date.*"2025-02-30".*TT_ERR_CLI_USAGE/)
})
