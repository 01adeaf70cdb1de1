/**
 * Configured alert rules (the config file's `notify` section): exact messages at exact times
 * under a ManualClock for grouping, de-duplication, repeats, escalation and acknowledgement, the
 * rate limit per channel and quiet hours in a time zone; each configuration mistake answered
 * with TT_ERR_CONFIG_INVALID naming the rule and the field; and one rule end to end in a real
 * collector, its grouped message taken by a local Discord stand-in.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type TestContext, test } from 'node:test'
import { ManualClock, type OutboxEntry, type Severity, formatMicros, validateBatch } from '@tradetrail/core'
import { describeAnswer, http, spawnCollector, tempDir, testEvent, waitFor } from '@tradetrail/test-support'
import { loadConfig } from '../src/config.ts'
import { acknowledgeAlert } from '../src/notify/alert-actions.ts'
import { AlertEngine } from '../src/notify/alert-engine.ts'
import { DEFAULT_RULES, configuredRule } from '../src/notify/alert-rules.ts'
import { parseNotifySection } from '../src/notify/rule-config.ts'
import { type Trail, openTrail } from '../src/trail/open-trail.ts'
import { startReceiver } from './helpers/receiver.ts'

const START_MS = Date.UTC(2025, 0, 1, 12, 0, 0)
const MIN = 60_000

interface Harness {
  trail: Trail
  clock: ManualClock
  /** Closes the engine and starts another on the same trail, as a collector's restart does. */
  restart(): Promise<void>
  /** Commits events `[project, type, severity, message]` and waits until the engine counted `alerts` occurrences in all. */
  post(events: Array<[string, string, Severity, string?]>, occurrences: number): Promise<void>
  /** Moves the clock to `ms` after START_MS and waits for the work that started. */
  at(ms: number): Promise<void>
  /** The outbox, oldest first: [channel, title, created_at as ms after START_MS]. */
  sent(): Promise<Array<[string, string, number]>>
}

async function harness(t: TestContext, notify: unknown): Promise<Harness> {
  const clock = new ManualClock(START_MS)
  const dataDir = join(tempDir(t, 'tt-rules'), 'data')
  const trail = await openTrail(loadConfig({ env: {}, flags: { dataDir } }), { role: 'collector', clock, onWarning: () => {} })
  const section = parseNotifySection(notify, 'test')
  const errors: unknown[] = []
  const start = (): Promise<AlertEngine> => AlertEngine.start({
    feed: trail.feed!, cursors: trail.store, alerts: trail.alerts, outbox: trail.outbox, clock, channels: ['slack', 'email'],
    rules: [...DEFAULT_RULES, ...section.rules.map(configuredRule)], gates: section, onError: (e) => errors.push(e),
  })
  let engine = await start()
  t.after(async () => {
    await engine.close()
    await trail.close()
    assert.deepEqual(errors, [], 'the engine reported no error')
  })
  const counted = async (): Promise<number> => (await trail.alerts.listAlerts({ limit: 1000 })).filter((a) => a.project !== 'tradetrail').reduce((n, a) => n + a.count, 0)
  return {
    trail, clock,
    async restart() {
      await engine.close()
      engine = await start()
    },
    async post(events, occurrences) {
      const raw = events.map(([project, type, severity, message]) => ({ project, type, severity, message: message ?? `${type} happened` }))
      await trail.submit(validateBatch(raw, { nowMicros: clock.nowMicros() }), 'test')
      await waitFor(counted, (n) => n === occurrences, { describe: `${occurrences} occurrences counted on alerts` })
      await engine.idle()
    },
    async at(ms) {
      clock.setMs(START_MS + ms)
      await engine.idle()
    },
    async sent() {
      const entries: OutboxEntry[] = await trail.outbox.listOutbox({ undeliveredOnly: false, limit: 1000 })
      return entries.reverse().map((e) => [e.channel, e.notification.title, (Date.parse(e.created_at) - START_MS)])
    },
  }
}

test('a rule groups its matches in the wait window into one message, counts later ones silently, repeats, escalates, and stops when acknowledged', async (t) => {
  const h = await harness(t, {
    rules: [{ name: 'bot_errors', match: { project: ['AlphaBot'], minSeverity: 'error' }, route: ['slack'], wait: '2m', repeat: '10m', escalate: { after: '25m', route: ['email'] } }],
  })
  await h.post([
    ['AlphaBot', 'order_rejected', 'error'], ['AlphaBot', 'order_rejected', 'warning'], ['BetaBot', 'order_rejected', 'error'],
    ['AlphaBot', 'order_rejected', 'error'], ['AlphaBot', 'api_timeout', 'error'],
  ], 3)
  await h.at(2 * MIN - 1)
  assert.deepEqual(await h.sent(), [], 'nothing before the window ends')
  await h.at(2 * MIN)
  const grouped: [string, string, number] = ['slack', 'bot_errors: order_rejected from AlphaBot (3 matches in 2m)', 2 * MIN]
  assert.deepEqual(await h.sent(), [grouped])
  await h.at(3 * MIN)
  await h.post([['AlphaBot', 'order_rejected', 'critical']], 4 + 1) // the critical one is also an alert of its own (critical_event)
  const critical: [string, string, number] = ['slack', 'Critical order_rejected from AlphaBot', 3 * MIN]
  const criticalEmail: [string, string, number] = ['email', 'Critical order_rejected from AlphaBot', 3 * MIN]
  assert.deepEqual(await h.sent(), [grouped, critical, criticalEmail], 'a further match of the open alert is counted, not sent again')
  const still = (after: string, ms: number, channel = 'slack'): [string, string, number] => [channel, `Still open after ${after}: bot_errors: order_rejected from AlphaBot`, ms]
  await h.at(31 * MIN)
  const escalated: [string, string, number] = ['email', 'Escalated, not acknowledged in 25m: bot_errors: order_rejected from AlphaBot', 27 * MIN]
  assert.deepEqual(await h.sent(), [grouped, critical, criticalEmail, still('10m', 12 * MIN), still('20m', 22 * MIN), escalated])
  await h.at(32 * MIN)
  const before = [grouped, critical, criticalEmail, still('10m', 12 * MIN), still('20m', 22 * MIN), escalated, still('30m', 32 * MIN), still('30m', 32 * MIN, 'email')]
  assert.deepEqual(await h.sent(), before, 'after escalation, repeats go to both routes')

  const [alert] = (await h.trail.alerts.listAlerts({ states: ['open'], limit: 10 })).filter((a) => a.rule === 'bot_errors')
  assert.equal(alert?.count, 4)
  await acknowledgeAlert(h.trail, alert!.id, 'cli:tester@desk', undefined, (field) => new Error(field) as never)
  await h.at(3 * 60 * MIN)
  assert.deepEqual(await h.sent(), before, 'an acknowledgement stops repeats')
})

test('a restart keeps a rule\'s window, repeats and escalation at their times, and sends nothing twice', async (t) => {
  const h = await harness(t, { rules: [{ name: 'rejections', match: { type: ['order_rejected'] }, route: ['slack'], wait: '5m', repeat: '10m', escalate: { after: '12m', route: ['email'] } }] })
  await h.post([['AlphaBot', 'order_rejected', 'warning'], ['BetaBot', 'order_rejected', 'warning']], 2)
  await h.restart()
  await h.at(5 * MIN)
  const grouped: [string, string, number] = ['slack', 'rejections: order_rejected from AlphaBot (2 matches in 5m)', 5 * MIN]
  assert.deepEqual(await h.sent(), [grouped], 'the window restarted kept its end')
  await h.at(15 * MIN)
  await h.restart()
  await h.at(15 * MIN + 1)
  const repeat: [string, string, number] = ['slack', 'Still open after 10m: rejections: order_rejected from AlphaBot', 15 * MIN]
  assert.deepEqual(await h.sent(), [grouped, repeat], 'nothing queued again by the restart')
  await h.at(25 * MIN)
  assert.deepEqual(await h.sent(), [grouped, repeat, ['email', 'Escalated, not acknowledged in 12m: rejections: order_rejected from AlphaBot', 17 * MIN],
    ['slack', 'Still open after 20m: rejections: order_rejected from AlphaBot', 25 * MIN], ['email', 'Still open after 20m: rejections: order_rejected from AlphaBot', 25 * MIN]])
})

test('escalation: acknowledged within N minutes, nothing escalates; a new alert after resolution opens its own window', async (t) => {
  const h = await harness(t, { rules: [{ name: 'stalls', match: { type: ['feed_stall'], text: 'NYSE' }, route: ['slack'], escalate: { after: '15m', route: ['email'] } }] })
  await h.post([['AlphaBot', 'feed_stall', 'warning', 'No quotes from nyse for 30s'], ['AlphaBot', 'feed_stall', 'warning', 'No quotes from LSE']], 1)
  const first: [string, string, number] = ['slack', 'stalls: feed_stall from AlphaBot', 0]
  assert.deepEqual(await h.sent(), [first], 'no wait configured: at once; the text matches case-insensitively')
  const [alert] = await h.trail.alerts.listAlerts({ states: ['open'], limit: 10 })
  await h.at(15 * MIN - 1)
  await acknowledgeAlert(h.trail, alert!.id, 'cli:tester@desk', undefined, (field) => new Error(field) as never)
  await h.at(60 * MIN)
  assert.deepEqual(await h.sent(), [first], 'acknowledged a millisecond before: no escalation')
  await h.trail.alerts.resolveAlert(alert!.id, formatMicros(h.clock.nowMicros()), 'cli:tester@desk')
  await h.post([['BetaBot', 'feed_stall', 'warning', 'NYSE again']], 2)
  await h.at(75 * MIN)
  assert.deepEqual(await h.sent(), [first, ['slack', 'stalls: feed_stall from BetaBot', 60 * MIN], ['email', 'Escalated, not acknowledged in 15m: stalls: feed_stall from BetaBot', 75 * MIN]])
})

test('the rate limit per channel holds messages beyond it and sends them as one when its window ends; quiet hours in the time zone hold all but critical', async (t) => {
  const rule = (type: string): unknown => ({ name: type, match: { type: [type] }, route: ['slack'] })
  const h = await harness(t, {
    timeZone: 'Europe/Berlin', quietHours: { from: '22:00', to: '07:00' }, rateLimit: { messages: 2, per: '10m' },
    rules: ['fill_a', 'fill_b', 'fill_c', 'fill_d', 'late_fill'].map(rule),
  })
  // 12:00 UTC is 13:00 in Berlin: no quiet hours.
  await h.post([['FillBot', 'fill_a', 'info'], ['FillBot', 'fill_b', 'info'], ['FillBot', 'fill_c', 'warning'], ['FillBot', 'fill_d', 'info']], 4)
  const a: [string, string, number] = ['slack', 'fill_a: fill_a from FillBot', 0]
  const b: [string, string, number] = ['slack', 'fill_b: fill_b from FillBot', 0]
  assert.deepEqual(await h.sent(), [a, b])
  await h.at(10 * MIN - 1)
  assert.deepEqual(await h.sent(), [a, b], 'held until the window ends')
  await h.at(10 * MIN)
  const held = (await h.trail.outbox.listOutbox({ undeliveredOnly: false, limit: 10 }))[0]!.notification
  assert.deepEqual([held.severity, held.title, held.text], ['warning', '2 notifications held back by the rate limit (2 per 10m)', '• WARNING: fill_c: fill_c from FillBot\n• INFO: fill_d: fill_d from FillBot'])

  // 21:30 UTC is 22:30 in Berlin: quiet until 06:00 UTC; the critical event passes at once (on both channels).
  await h.at(9.5 * 60 * MIN)
  await h.post([['FillBot', 'late_fill', 'error'], ['FillBot', 'kill_switch', 'critical']], 6)
  const night = (await h.sent()).slice(3)
  assert.deepEqual(night, [['slack', 'Critical kill_switch from FillBot', 9.5 * 60 * MIN], ['email', 'Critical kill_switch from FillBot', 9.5 * 60 * MIN]])
  await h.at(18 * 60 * MIN - 1)
  assert.equal((await h.sent()).length, 5, 'nothing else before 07:00 in Berlin')
  await h.at(18 * 60 * MIN)
  assert.deepEqual((await h.sent()).slice(5), [['slack', 'late_fill: late_fill from FillBot', 18 * 60 * MIN]], 'held alone: sent as itself at 07:00 Berlin')
})

test('quiet hours follow the time zone across a daylight saving change', async (t) => {
  // New York leaves EDT (UTC-4) for EST (UTC-5) at 02:00 local on 2025-11-02: quiet 22:00–06:00 local ends at 11:00 UTC that day, not 10:00.
  const h = await harness(t, { timeZone: 'America/New_York', quietHours: { from: '22:00', to: '06:00' }, rules: [{ name: 'fills', match: { project: ['FillBot'] }, route: ['email'] }] })
  const end = Date.UTC(2025, 10, 2, 11, 0) - START_MS
  await h.at(Date.UTC(2025, 10, 2, 3, 0) - START_MS)
  await h.post([['FillBot', 'fill', 'info']], 1)
  await h.at(end - 1)
  assert.deepEqual(await h.sent(), [], 'still quiet at 05:59:59.999 EST')
  await h.at(end)
  assert.deepEqual(await h.sent(), [['email', 'fills: fill from FillBot', end]])
})

test('each mistake in the notify section stops the start with TT_ERR_CONFIG_INVALID naming the rule and the field', (t) => {
  const dir = tempDir(t, 'tt-rules-config')
  const file = join(dir, 'config.json')
  const env = { QT_ALERT_WEBHOOK: 'https://hooks.slack.com/services/T/B/x' }
  const good = { name: 'bot_errors', match: { project: ['AlphaBot'], minSeverity: 'error' }, route: ['slack'], wait: '2m', repeat: '10m', escalate: { after: '25m', route: ['slack'] } }
  const load = (notify: unknown): ReturnType<typeof loadConfig> => {
    writeFileSync(file, JSON.stringify({ port: 9400, notify }))
    return loadConfig({ file, env })
  }
  const config = load({ timeZone: 'Asia/Tokyo', quietHours: { from: '23:00', to: '06:30' }, rateLimit: { messages: 5, per: '1m' }, rules: [good] })
  assert.deepEqual(config.notify, {
    timeZone: 'Asia/Tokyo', quietHours: { from: 23 * 60, to: 6 * 60 + 30 }, rateLimit: { messages: 5, perMs: MIN },
    rules: [{ name: 'bot_errors', match: { project: ['AlphaBot'], minSeverity: 'error' }, route: ['slack'], waitMs: 2 * MIN, repeatMs: 10 * MIN, escalate: { afterMs: 25 * MIN, route: ['slack'] } }],
  })
  assert.deepEqual(loadConfig({ env }).notify, { rules: [], timeZone: 'UTC', quietHours: undefined, rateLimit: undefined }, 'no file: no rules')

  const cases: Array<[unknown, string]> = [
    ['rules', 'notify must be a JSON object'],
    [{ rules: {} }, 'notify.rules must be an array of rules'],
    [{ rule: [] }, 'notify.rule is not a field here'],
    [{ timeZone: 'Mars/Olympus' }, 'notify.timeZone "Mars/Olympus" is not a time zone'],
    [{ quietHours: { from: '22:00', to: '7:00' } }, 'notify.quietHours.to must be a time of day as HH:MM'],
    [{ quietHours: { from: '22:00', to: '22:00' } }, 'notify.quietHours from and to must differ'],
    [{ rateLimit: { messages: 0, per: '1m' } }, 'notify.rateLimit.messages must be a whole number from 1'],
    [{ rateLimit: { messages: 3, per: 'often' } }, 'notify.rateLimit.per must be a duration'],
    [{ rules: [good, 'x'] }, 'notify.rules[1] must be a JSON object'],
    [{ rules: [{ ...good, name: 'Bot Errors' }] }, 'notify.rules[0] "Bot Errors".name must be lower-case letters'],
    [{ rules: [good, good] }, 'notify.rules[1] "bot_errors".name is the name of an earlier rule'],
    [{ rules: [{ ...good, name: undefined }] }, 'notify.rules[0].name must be a non-empty string'],
    [{ rules: [{ ...good, match: {} }] }, 'notify.rules[0] "bot_errors".match must say what the rule matches'],
    [{ rules: [{ ...good, match: { severity: 'error' } }] }, 'notify.rules[0] "bot_errors".match.severity is not a field here; known: project, type, minSeverity, flags, text'],
    [{ rules: [{ ...good, match: { minSeverity: 'fatal' } }] }, 'notify.rules[0] "bot_errors".match.minSeverity must be one of debug, info'],
    [{ rules: [{ ...good, match: { project: 'AlphaBot' } }] }, 'notify.rules[0] "bot_errors".match.project must be a non-empty array of strings'],
    [{ rules: [{ ...good, match: { flags: ['x', 3] } }] }, 'notify.rules[0] "bot_errors".match.flags[1] must be a non-empty string'],
    [{ rules: [{ ...good, match: { text: '' } }] }, 'notify.rules[0] "bot_errors".match.text must be a non-empty string'],
    [{ rules: [{ ...good, route: ['pager'] }] }, 'notify.rules[0] "bot_errors".route[0] "pager" is no channel; channels: slack, discord, email, webhook'],
    [{ rules: [{ ...good, route: [] }] }, 'notify.rules[0] "bot_errors".route must be a non-empty array'],
    [{ rules: [{ ...good, wait: '2 minutes' }] }, 'notify.rules[0] "bot_errors".wait must be a duration'],
    [{ rules: [{ ...good, repeat: 10 }] }, 'notify.rules[0] "bot_errors".repeat must be a duration'],
    [{ rules: [{ ...good, escalate: { after: '0m', route: ['slack'] } }] }, 'notify.rules[0] "bot_errors".escalate.after must be a duration'],
    [{ rules: [{ ...good, escalate: { after: '5m' } }] }, 'notify.rules[0] "bot_errors".escalate.route must be a non-empty array'],
    [{ rules: [{ ...good, escalation: {} }] }, 'notify.rules[0] "bot_errors".escalation is not a field here'],
    [{ rules: [{ ...good, escalate: { after: '5m', route: ['email'] } }] }, 'notify.rules[0] "bot_errors".escalate.route names the email channel, which is not configured (configured: slack;'],
    [{ rules: [{ ...good, route: ['discord'] }] }, 'notify.rules[0] "bot_errors".route names the discord channel, which is not configured'],
  ]
  for (const [notify, message] of cases) {
    assert.throws(() => load(notify), (error: { code?: string; message?: string }) => {
      assert.equal(error.code, 'TT_ERR_CONFIG_INVALID', JSON.stringify(notify))
      // The field's path, then the file, then what is wrong.
      const path = /^notify(?:\.rules\[\d+\](?: "[^"]*")?|\.\w+|\[\d+\])*/.exec(message)![0]
      const expected = `${path} in ${file}${message.slice(path.length)}`
      assert.ok(error.message!.startsWith(expected), `${JSON.stringify(notify)}\n expected: ${expected}…\n seen:     ${error.message}`)
      return true
    })
  }
})

test('end to end: a configured rule in the config file groups a burst into one Discord message', async (t) => {
  const receiver = await startReceiver(t)
  const file = join(tempDir(t, 'tt-rules-e2e'), 'config.json')
  writeFileSync(file, JSON.stringify({ notify: { rules: [{ name: 'rejections', match: { project: ['AlphaBot'], type: ['order_rejected'] }, route: ['discord'], wait: '1s' }] } }))
  const collector = await spawnCollector(t, { env: { QT_ALERT_WEBHOOK: `${receiver.url}/api/webhooks/1/secret`, TRADETRAIL_ALERT_WEBHOOK_KIND: 'discord', TRADETRAIL_CONFIG: file } })
  const post = await http(collector.url, '/v1/events', {
    token: collector.adminToken!, body: [1, 2, 3].map((i) => testEvent('AlphaBot', { type: 'order_rejected', severity: 'warning', message: `rejected #${i}` })),
  })
  assert.equal(post.status, 200, describeAnswer(post))
  await waitFor(() => receiver.taken.length, (n) => n >= 1, { describe: 'the Discord stand-in to take the grouped message' })
  const message = JSON.parse(receiver.taken[0]!.body)
  assert.equal(message.content, '⚠️ **rejections: order_rejected from AlphaBot (3 matches in 1s)**')
  assert.equal(message.embeds[0].description, 'rejected #1')
  await collector.stop()
  assert.equal(receiver.taken.length, 1, 'one message for the three')
})
