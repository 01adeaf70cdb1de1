/**
 * Alerts in a real collector process: a critical event posted to the API alerts the default
 * route (a Discord stand-in); acknowledging through the API and the CLI is recorded in the trail
 * naming who did it; bad input to every route and command gets a clear code. And the receiver
 * down while the collector is SIGKILLed and restarted: the notification arrives once, after.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { describeAnswer, errorOf, errorLines, http, parseJson, runCli, spawnCollector, testEvent, tempDir, waitFor } from '@tradetrail/test-support'
import type { Alert, OutboxEntry } from '@tradetrail/core'
import { join } from 'node:path'
import { startReceiver } from './helpers/receiver.ts'

const discordEnv = (url: string): Record<string, string> => ({ QT_ALERT_WEBHOOK: `${url}/api/webhooks/1/secret`, TRADETRAIL_ALERT_WEBHOOK_KIND: 'discord' })

test('a critical event alerts the default route; acknowledging via API and CLI is recorded with who did it; bad input gets clear codes', async (t) => {
  const receiver = await startReceiver(t)
  const collector = await spawnCollector(t, { env: discordEnv(receiver.url) })
  const token = collector.adminToken!
  const post = await http(collector.url, '/v1/events', { token, body: [testEvent('AlphaBot', { type: 'kill_switch', severity: 'critical', message: 'Kill switch engaged: all positions closed' })] })
  assert.equal(post.status, 200, describeAnswer(post))
  await waitFor(() => receiver.taken.length, (n) => n === 1, { describe: 'the Discord stand-in to take one message' })
  const message = JSON.parse(receiver.taken[0]!.body)
  assert.equal(message.content, '🚨 **Critical kill_switch from AlphaBot**')
  assert.equal(message.embeds[0].description, 'Kill switch engaged: all positions closed')

  const listed = await http(collector.url, '/v1/alerts?state=open', { token })
  const [alert] = listed.json<{ alerts: Alert[] }>().alerts
  assert.deepEqual([alert?.rule, alert?.state, alert?.project, alert?.seq], ['critical_event', 'open', 'AlphaBot', post.json().first_seq])

  // Bad input, each with its code, changing nothing.
  const bad = async (path: string, options: Parameters<typeof http>[2], status: number, code: string): Promise<void> => {
    const answer = await http(collector.url, path, { token, ...options })
    assert.equal(answer.status, status, describeAnswer(answer))
    assert.equal(errorOf(answer).code, code, describeAnswer(answer))
  }
  await bad('/v1/alerts?state=bogus', {}, 400, 'TT_ERR_QUERY_INVALID')
  await bad('/v1/alerts?limit=0', {}, 400, 'TT_ERR_QUERY_INVALID')
  await bad('/v1/alerts?colour=red', {}, 400, 'TT_ERR_QUERY_INVALID')
  await bad('/v1/alerts/ffffffffffff/ack', { method: 'POST' }, 404, 'TT_ERR_ALERT_NOT_FOUND')
  await bad(`/v1/alerts/${alert!.id}/ack`, { body: { reason: 'on it' } }, 400, 'TT_ERR_ALERT_INVALID')
  await bad(`/v1/alerts/${alert!.id}/ack`, { body: { note: 42 } }, 400, 'TT_ERR_ALERT_INVALID')
  await bad(`/v1/alerts/${alert!.id}/ack`, { body: { note: 'two\nlines' } }, 400, 'TT_ERR_ALERT_INVALID')
  await bad(`/v1/alerts/${alert!.id}/ack`, { body: '[1]', headers: { 'content-type': 'application/json' } }, 400, 'TT_ERR_ALERT_INVALID')
  await bad(`/v1/alerts/${alert!.id}/ack`, { method: 'POST', token: 'tt_000000000000_nope' }, 401, 'TT_ERR_AUTH_INVALID')
  const read = await runCli(['token', 'create', '--scope', 'read', '--json'], { dataDir: collector.dataDir })
  const readToken = parseJson<{ token: string }>(read).token
  await bad(`/v1/alerts/${alert!.id}/ack`, { method: 'POST', token: readToken }, 403, 'TT_ERR_AUTH_SCOPE')
  assert.equal((await http(collector.url, '/v1/alerts', { token: readToken })).status, 200, 'a read token lists alerts')
  assert.equal((await http(collector.url, `/v1/alerts?state=open`, { token })).json<{ alerts: Alert[] }>().alerts.length, 1, 'bad requests changed nothing')

  const acked = await http(collector.url, `/v1/alerts/${alert!.id}/ack`, { token, body: { note: 'on it, desk 4' } })
  assert.equal(acked.status, 200, describeAnswer(acked))
  const tokenId = token.split('_')[1]
  assert.deepEqual([acked.json<Alert>().state, acked.json<Alert>().acknowledged_by], ['acknowledged', `token:${tokenId}`])
  const again = await http(collector.url, `/v1/alerts/${alert!.id}/ack`, { token, method: 'POST' })
  assert.equal(again.json<Alert>().acknowledged_by, `token:${tokenId}`, 'a second acknowledgement changes nothing')
  const recorded = await http(collector.url, '/v1/events?project=tradetrail&type=alert_acknowledged', { token })
  const events = recorded.json<{ events: Array<{ message: string; data: Record<string, unknown>; submitter: string }> }>().events
  assert.equal(events.length, 1, 'one acknowledgement, one event')
  assert.deepEqual([events[0]!.data.id, events[0]!.data.by, events[0]!.data.note], [alert!.id, `token:${tokenId}`, 'on it, desk 4'])
  assert.match(events[0]!.message, new RegExp(`acknowledged by token:${tokenId}: on it, desk 4`))

  // The CLI: a second critical event, acknowledged offline and resolved through the collector.
  await http(collector.url, '/v1/events', { token, body: [testEvent('BetaBot', { type: 'risk_limit_breach', severity: 'critical' })] })
  const second = (await waitFor(async () => parseJson<Alert[]>(await runCli(['--json', 'alerts', 'list', '--state', 'open'], { dataDir: collector.dataDir })),
    (list) => list.length === 1, { describe: 'the second alert open' }))[0]!
  const badRuns: Array<[string[], string, number]> = [
    [['alerts', 'list', '--state', 'bogus'], 'TT_ERR_CLI_USAGE', 2],
    [['alerts', 'list', '--limit', 'many'], 'TT_ERR_CLI_USAGE', 2],
    [['alerts', 'ack', 'ffffffffffff'], 'TT_ERR_ALERT_NOT_FOUND', 1],
    [['alerts', 'ack', second.id, '--note', 'two\nlines'], 'TT_ERR_CLI_USAGE', 2],
    [['alerts', 'outbox', '--limit', '0'], 'TT_ERR_CLI_USAGE', 2],
    [['alerts', 'resolve', second.id, '--url', collector.url], 'TT_ERR_CLI_USAGE', 2],
  ]
  for (const [args, code, exit] of badRuns) {
    const run = await runCli(args, { dataDir: collector.dataDir })
    assert.equal(run.code, exit, `${args.join(' ')}: ${run.stderr}`)
    assert.match(errorLines(run.stderr).join('\n'), new RegExp(`\\(${code}\\)`), `${args.join(' ')}: ${run.stderr}`)
  }
  const cliAck = await runCli(['--json', 'alerts', 'ack', second.id, '--note', 'looking'], { dataDir: collector.dataDir })
  assert.equal(cliAck.code, 0, cliAck.stderr)
  assert.match(parseJson<Alert>(cliAck).acknowledged_by!, /^cli:.+@.+/)
  const resolved = await runCli(['--json', 'alerts', 'resolve', second.id, '--url', collector.url, '--token', token], { dataDir: collector.dataDir })
  assert.equal(resolved.code, 0, resolved.stderr)
  assert.deepEqual([parseJson<Alert>(resolved).state, parseJson<Alert>(resolved).resolved_by], ['resolved', `token:${tokenId}`])
  const refused = await runCli(['alerts', 'ack', second.id], { dataDir: collector.dataDir })
  assert.match(refused.stderr, /\(TT_ERR_ALERT_RESOLVED\)/)
  const trail = (await http(collector.url, '/v1/events?project=tradetrail&type=alert_acknowledged', { token })).json<{ events: Array<{ data: { id: string; by: string } }> }>().events
  assert.deepEqual(trail.map((e) => e.data.id), [second.id, alert!.id], 'newest first')
  assert.match(trail[0]!.data.by, /^cli:/)
  await waitFor(() => receiver.taken.length, (n) => n === 2, { describe: 'the second alert sent too' })
  const metrics = (await http(collector.url, '/metrics', { token })).text
  assert.match(metrics, /^tradetrail_alerts_raised_total\{rule="critical_event"\} 2$/m)
  assert.match(metrics, /^tradetrail_notifications_delivered_total\{channel="discord"\} 2$/m)
})

test('the receiver is down and the collector is killed meanwhile: the notification arrives once, after both are back', async (t) => {
  const receiver = await startReceiver(t)
  await receiver.stop()
  const dataDir = join(tempDir(t), 'data')
  const env = { ...discordEnv(receiver.url), TRADETRAIL_NOTIFY_RETRY_MAX: '300ms' }
  const first = await spawnCollector(t, { dataDir, env })
  const token = first.adminToken!
  assert.equal((await http(first.url, '/v1/events', { token, body: [testEvent('AlphaBot', { type: 'kill_switch', severity: 'critical' })] })).status, 200)
  await waitFor(async () => parseJson<OutboxEntry[]>(await runCli(['--json', 'alerts', 'outbox'], { dataDir })),
    (entries) => entries.length === 1 && entries[0]!.attempts >= 2, { describe: 'the notification waiting, failed twice' })
  await first.kill()
  await receiver.listen()
  const second = await spawnCollector(t, { dataDir, env })
  await waitFor(async () => parseJson<OutboxEntry[]>(await runCli(['--json', 'alerts', 'outbox'], { dataDir })), (entries) => entries.length === 0, { describe: 'the outbox emptied' })
  assert.equal(receiver.taken.length, 1, 'delivered once')
  assert.match(JSON.parse(receiver.taken[0]!.body).content, /Critical kill_switch from AlphaBot/)
  await second.stop()
  assert.equal(receiver.taken.length, 1, 'and not again at shutdown')
})
