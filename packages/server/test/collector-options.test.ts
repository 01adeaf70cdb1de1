/**
 * The collector's optional parts, end to end: TLS (a real certificate, a real HTTPS client)
 * and retention at start (old events purged behind a signed anchor, the rest still verifying).
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { request } from 'node:https'
import { join } from 'node:path'
import { test } from 'node:test'
import { ManualClock, validateBatch } from '@tradetrail/core'
import { describeAnswer, http, spawnCollector, tempDir } from '@tradetrail/test-support'
import { selfSignedCertificate } from './helpers/tls.ts'
import { openTestTrail } from './helpers/trail.ts'

function httpsGet(url: string, path: string, ca: Buffer, token?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, url), { ca, headers: token ? { authorization: `Bearer ${token}` } : {} }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => { body += chunk }).on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

test('serves HTTPS with --tls-cert and --tls-key, and refuses half a TLS configuration', async (t) => {
  const tls = selfSignedCertificate(t)
  if (tls === undefined) return
  const { cert, key } = tls
  const c = await spawnCollector(t, { args: ['--tls-cert', cert, '--tls-key', key] })
  assert.match(c.url, /^https:\/\/127\.0\.0\.1:\d+$/, `the banner gives an https URL: ${c.stdout()}`)
  const ca = readFileSync(cert)
  assert.equal((await httpsGet(c.url, '/healthz', ca)).status, 200)
  const events = await httpsGet(c.url, '/v1/events?limit=1', ca, c.adminToken)
  assert.equal(events.status, 200, events.body)
  assert.equal(JSON.parse(events.body).events[0].type, 'token_created')
  await assert.rejects(http(`http://127.0.0.1:${c.port}`, '/healthz'), 'plain HTTP on the TLS port gets no answer')

  const half = await spawnCollector(t, { args: ['--tls-cert', cert] }).then(() => undefined, (error: Error) => error)
  assert.ok(half instanceof Error, 'a certificate without a key must not start')
  assert.match(half.message, /TLS needs both a certificate and a key/)
})

test('retention purges old events at start behind a signed anchor; the rest still verifies', async (t) => {
  const dataDir = join(tempDir(t, 'tt-retention'), 'data')
  const clock = new ManualClock(Date.now() - 6 * 365 * 86_400_000)
  const old = await openTestTrail(dataDir, { clock })
  await old.submit(validateBatch(Array.from({ length: 30 }, (_, i) => ({ project: 'OldBot', message: `old ${i}` })), { nowMicros: clock.nowMicros() }), 'test')
  clock.setMs(Date.now() - 10 * 86_400_000)
  await old.submit(validateBatch(Array.from({ length: 5 }, (_, i) => ({ project: 'RecentBot', message: `recent ${i}` })), { nowMicros: clock.nowMicros() }), 'test')
  await old.close()

  const c = await spawnCollector(t, { dataDir, args: ['--retention', '5y'] })
  const token = c.adminToken!
  const checkpoints = await http(c.url, '/v1/checkpoints', { token })
  assert.equal(checkpoints.status, 200, describeAnswer(checkpoints))
  assert.deepEqual([checkpoints.json().anchor?.seq, checkpoints.json().anchor?.purged], [30, 30], describeAnswer(checkpoints))
  const stats = (await http(c.url, '/v1/stats', { token })).json()
  assert.equal(stats.by_project.OldBot, undefined, 'the old events are gone')
  assert.equal(stats.by_project.RecentBot, 5, 'the recent ones stay')
  const verify = (await http(c.url, '/v1/verify', { token })).json()
  assert.deepEqual([verify.ok, verify.anchor_seq], [true, 30], JSON.stringify(verify.problem))
  const purges = (await http(c.url, '/v1/events?project=tradetrail&type=retention_purge', { token })).json().events
  assert.equal(purges.length, 1, 'the purge is recorded in the trail')
  assert.match(purges[0].message, /Retention purged 30 events through seq 30/)
})

test('a retention shorter than the minimum stops the start, naming the setting; with a reason to go below it the collector starts, warns and purges', async (t) => {
  const refused = await spawnCollector(t, { args: ['--retention', '30d'] }).then(() => undefined, (error: Error) => error)
  assert.ok(refused instanceof Error, 'a retention below the minimum must not start')
  assert.match(refused.message, /--retention="30d" is shorter than the minimum retention, 5y.*TT_ERR_CONFIG_INVALID/)

  const dataDir = join(tempDir(t, 'tt-retention-override'), 'data')
  const clock = new ManualClock(Date.now() - 40 * 86_400_000)
  const old = await openTestTrail(dataDir, { clock })
  await old.submit(validateBatch([{ project: 'StagingBot', message: 'forty days ago' }], { nowMicros: clock.nowMicros() }), 'test')
  await old.close()
  const c = await spawnCollector(t, { dataDir, args: ['--retention', '30d'], env: { TRADETRAIL_RETENTION_BELOW_MINIMUM: 'staging trail, nothing to keep' } })
  assert.match(c.stderr(), /WARNING: retention: purging events younger than the minimum retention \(5y\), down to 30d, because "staging trail, nothing to keep"/)
  const anchor = (await http(c.url, '/v1/checkpoints', { token: c.adminToken })).json<{ anchor: { seq: number; below_minimum: string; retention_ms: number } }>().anchor
  assert.deepEqual([anchor.seq, anchor.below_minimum, anchor.retention_ms], [1, 'staging trail, nothing to keep', 30 * 86_400_000])
})

test('/readyz says not ready, with the reason, while the data volume has less free space than minFreeBytes', async (t) => {
  const short = await spawnCollector(t, { env: { TRADETRAIL_MIN_FREE_BYTES: '999999GiB' } })
  const answer = await http(short.url, '/readyz')
  assert.equal(answer.status, 503, describeAnswer(answer))
  assert.match(answer.json<{ reason: string }>().reason, /the data volume has [\d.]+ MiB free, below the 1023998976\.0 MiB minimum \(minFreeBytes\)/)
  const fine = await spawnCollector(t)
  assert.equal((await http(fine.url, '/readyz')).status, 200)
})

test('GET /v1/verify is recorded once per interval, and its report is reused while the trail is unchanged', async (t) => {
  const c = await spawnCollector(t)
  const token = c.adminToken!
  const first = await http(c.url, '/v1/verify', { token })
  assert.equal(first.status, 200, describeAnswer(first))
  const reports = await Promise.all([1, 2, 3].map(() => http(c.url, '/v1/verify', { token })))
  for (const r of reports) assert.deepEqual(r.json(), first.json(), 'the same report, not a new run')
  await http(c.url, '/v1/events', { token, body: [{ project: 'VerifyBot', message: 'a new event' }] })
  const after = (await http(c.url, '/v1/verify', { token })).json<{ ok: boolean; last_seq: number }>()
  assert.ok(after.ok && after.last_seq > first.json<{ last_seq: number }>().last_seq, 'a new event means a new run')
  const runs = (await http(c.url, '/v1/events?project=tradetrail&type=verification_run', { token })).json<{ events: unknown[] }>().events
  assert.equal(runs.length, 1, 'two runs within the interval are recorded once')
})
