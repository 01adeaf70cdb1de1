/**
 * Guarantee 3 with real parts: whatever goes wrong around it (DNS, a collector answering
 * 5xx, garbage or a proxy's 400, a refused token, invalid events, a full spool, an unusable
 * spool directory), send() never throws, nothing valid is lost, and the trouble reaches
 * onError, the counters and, as a last resort, stderr.
 */
import assert from 'node:assert/strict'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { type TradetrailError, filesystemOf } from '@tradetrail/core'
import { AuditClient } from '../src/audit-client.ts'
import {
  assertExactlyOnceInOrder, collectorFor, faultyProxy, projectEvents, startBot, tempDir, waitFor,
} from './helpers/client-harness.ts'

const FAST_RETRY = { retryInitialMs: 20, retryMaxMs: 200, flushIntervalMs: 10 }

function collect(): { errors: TradetrailError[]; onError: (e: TradetrailError) => void; codes: () => string[] } {
  const errors: TradetrailError[] = []
  return { errors, onError: (e) => errors.push(e), codes: () => [...new Set(errors.map((e) => e.code))] }
}

test('a host name that does not resolve: reported, and every event waits in the spool', { timeout: 60_000 }, async (t) => {
  const seen = collect()
  const client = new AuditClient({ url: 'http://tradetrail-collector.invalid:9324', token: 'tt_000000000000_x', project: 'DnsBot', spoolDir: join(tempDir(t, 'tt-dns'), 'spool'), ...FAST_RETRY, onError: seen.onError })
  t.after(() => client.close(100))
  for (let i = 0; i < 500; i++) client.send('order_submitted', `order ${i}`, { i })
  await waitFor(() => client.stats(), (s) => s.spooled === 501 && s.queued === 0, { describe: 'boot + 500 events spooled', timeoutMs: 45_000 })
  const remote = seen.errors.find((e) => e.code === 'TT_ERR_COLLECTOR_UNREACHABLE')
  assert.ok(remote, `TT_ERR_COLLECTOR_UNREACHABLE reported; saw ${seen.codes()}`)
  assert.match(remote.message, /tradetrail-collector\.invalid.*cannot be reached \((ENOTFOUND|EAI_AGAIN)\)/)
  assert.equal(client.stats().dropped, 0)
})

for (const mode of ['refuse-500', 'garbage-200', 'plain-400'] as const) {
  test(`a collector answering ${mode}: retried with backoff, then delivered once it answers properly`, async (t) => {
    const dataDir = join(tempDir(t, 'tt-faulty'), 'data')
    const { c, token } = await collectorFor(t, 'FaultyBot', { dataDir })
    const proxy = await faultyProxy(t, c.url)
    proxy.mode = mode
    const seen = collect()
    const client = new AuditClient({ url: proxy.url, token, project: 'FaultyBot', spoolDir: join(tempDir(t, 'tt-spool'), 'spool'), ...FAST_RETRY, onError: seen.onError })
    t.after(() => client.close(100))
    for (let i = 0; i < 2000; i++) client.send('order_submitted', `order ${i}`, { i })
    await waitFor(() => client.stats().failed, (n) => n >= 3, { describe: 'three failed attempts counted' })
    assert.equal(client.stats().sent, 0)
    assert.ok(seen.errors.some((e) => e.code === 'TT_ERR_COLLECTOR_NOT_TRADETRAIL'), `reported as TT_ERR_COLLECTOR_NOT_TRADETRAIL; saw ${seen.codes()}`)
    proxy.mode = 'forward'
    await client.flush(30_000)
    assert.equal(client.stats().sent, 2001)
    assert.equal(client.stats().dropped, 0, 'a refusal that names no event costs no event')
    assertExactlyOnceInOrder(await projectEvents(dataDir, 'FaultyBot'), 2000)
  })
}

test('a refused token: the events are kept, and a client with a good token delivers them', async (t) => {
  const dataDir = join(tempDir(t, 'tt-token'), 'data')
  const { c, token } = await collectorFor(t, 'TokenBot', { dataDir })
  const spool = join(tempDir(t, 'tt-spool'), 'spool')
  const seen = collect()
  const wrong = new AuditClient({ url: c.url, token: 'tt_000000000000_not-a-real-secret', project: 'TokenBot', spoolDir: spool, ...FAST_RETRY, onError: seen.onError })
  for (let i = 0; i < 1000; i++) wrong.send('order_submitted', `order ${i}`, { i })
  await waitFor(() => wrong.stats(), (s) => s.spooled === 1001, { describe: 'everything spooled while the token is refused' })
  assert.ok(seen.codes().includes('TT_ERR_AUTH_INVALID'), `the collector's own code reaches onError; saw ${seen.codes()}`)
  await wrong.close(100)
  assert.equal((await projectEvents(dataDir, 'TokenBot')).length, 0)

  const right = new AuditClient({ url: c.url, token, project: 'TokenBot', spoolDir: spool, boot: false, ...FAST_RETRY })
  await waitFor(() => right.stats(), (s) => s.spooled === 0 && s.sent === 1001, { describe: 'the spool delivered with the right token' })
  await right.close()
  assertExactlyOnceInOrder(await projectEvents(dataDir, 'TokenBot'), 1000)
})

test('invalid events are dropped alone, reported with a code, and written to stderr; the rest arrive in order', async (t) => {
  const dataDir = join(tempDir(t, 'tt-invalid'), 'data')
  const { c, token } = await collectorFor(t, 'TestBot', { dataDir })
  // Every 100th event has severity "loud": refused by the client's own checks.
  const bot = startBot(t, { BOT_URL: c.url, BOT_TOKEN: token, BOT_SPOOL: join(tempDir(t, 'tt-spool'), 'spool'), BOT_COUNT: '1000', BOT_BAD_EVERY: '100' })
  assert.deepEqual(await bot.exited, { code: 0, signal: null }, bot.stdout())
  const stats = JSON.parse(/^done (.*)$/m.exec(bot.stdout())![1]!) as { sent: number; dropped: number }
  assert.deepEqual({ sent: stats.sent, dropped: stats.dropped }, { sent: 991, dropped: 10 })
  assert.equal([...bot.stdout().matchAll(/^error TT_ERR_EVENT_BAD_VALUE "severity"/gm)].length, 10, bot.stdout().slice(0, 2000))
  const emergency = [...bot.stdout().matchAll(/^AUDIT_EMERGENCY (.*)$/gm)].map((m) => JSON.parse(m[1]!) as { data: string; error: { code: string } })
  assert.deepEqual(emergency.map((e) => (JSON.parse(e.data) as { i: number }).i), [0, 100, 200, 300, 400, 500, 600, 700, 800, 900])
  const stored = (await projectEvents(dataDir, 'TestBot')).filter((e) => e.type !== 'boot').map((e) => (e.data as { i: number }).i)
  assert.deepEqual(stored, Array.from({ length: 1000 }, (_, i) => i).filter((i) => i % 100 !== 0))
})

test('an event only the collector refuses (a lone surrogate) is dropped alone; its batch-mates are delivered', async (t) => {
  const dataDir = join(tempDir(t, 'tt-refused'), 'data')
  const { c, token } = await collectorFor(t, 'RefusedBot', { dataDir })
  const seen = collect()
  const client = new AuditClient({ url: c.url, token, project: 'RefusedBot', spoolDir: false, ...FAST_RETRY, onError: seen.onError })
  for (let i = 0; i < 50; i++) client.send('order_submitted', i === 25 ? 'broken \ud800 text' : `order ${i}`, { i })
  await client.close(30_000)
  assert.deepEqual({ sent: client.stats().sent, dropped: client.stats().dropped }, { sent: 50, dropped: 1 })
  assert.ok(seen.codes().includes('TT_ERR_EVENT_BAD_STRING'), `the collector's problem code is reported; saw ${seen.codes()}`)
  const stored = (await projectEvents(dataDir, 'RefusedBot')).filter((e) => e.type !== 'boot').map((e) => (e.data as { i: number }).i)
  assert.deepEqual(stored, Array.from({ length: 50 }, (_, i) => i).filter((i) => i !== 25))
})

test('a full spool and a full memory queue: the newest events are dropped, counted, reported and written to stderr', async (t) => {
  const spool = join(tempDir(t, 'tt-full'), 'spool')
  const bot = startBot(t, {
    BOT_URL: 'http://127.0.0.1:9', BOT_TOKEN: 'tt_000000000000_x', BOT_SPOOL: spool, BOT_COUNT: '3000', BOT_PER_MS: '20',
    BOT_MAX_SPOOL: String(64 * 1024), BOT_MAX_QUEUED: '500', BOT_END: 'linger', BOT_REPORT_EVERY: '100000',
  })
  await waitFor(() => bot.lastSent(), (i) => i === 2999, { describe: 'the bot to send all 3,000 events', timeoutMs: 30_000 })
  await waitFor(() => bot.stdout(), (out) => /^AUDIT_EMERGENCY .*"data":\{"i":2999,/m.test(out),
    { describe: 'the overflow written to stderr, up to the last event', timeoutMs: 30_000, show: (out) => out.slice(-300) })
  const out = bot.stdout()
  assert.match(out, /^error TT_ERR_CLIENT_SPOOL_FULL spool .* is full \(65536 bytes\)/m)
  assert.match(out, /^error TT_ERR_CLIENT_QUEUE_FULL /m)
  assert.equal([...out.matchAll(/^error TT_ERR_CLIENT_SPOOL_FULL /gm)].length, 1, 'reported once, not once per batch')
  const lines = [...out.matchAll(/^AUDIT_EMERGENCY (.*)$/gm)].map((m) => JSON.parse(m[1]!) as { project: string; data: { i: number } })
  assert.ok(lines.every((l) => l.project === 'TestBot' && Number.isInteger(l.data.i)), 'each line is a whole event')
  const numbers = lines.map((l) => l.data.i)
  assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), 'the newest are the ones dropped, in order')
  assert.equal(numbers[numbers.length - 1], 2999)
})

test('a spool directory that cannot be made: reported, and delivery goes on from memory', async (t) => {
  const dataDir = join(tempDir(t, 'tt-nospool'), 'data')
  const { c, token } = await collectorFor(t, 'NoSpoolBot', { dataDir })
  const blocker = join(tempDir(t, 'tt-blocker'), 'a-file')
  writeFileSync(blocker, 'not a directory')
  const seen = collect()
  const client = new AuditClient({ url: c.url, token, project: 'NoSpoolBot', spoolDir: join(blocker, 'spool'), ...FAST_RETRY, onError: seen.onError })
  for (let i = 0; i < 1000; i++) client.send('order_submitted', `order ${i}`, { i })
  await client.close(30_000)
  const spoolError = seen.errors.find((e) => e.code === 'TT_ERR_CLIENT_SPOOL')
  assert.ok(spoolError, `TT_ERR_CLIENT_SPOOL reported; saw ${seen.codes()}`)
  assert.match(spoolError.message, /a-file\/spool: a path component is not a directory/)
  assertExactlyOnceInOrder(await projectEvents(dataDir, 'NoSpoolBot'), 1000)
})

test('a spool on tmpfs is reported (it would not survive a restart) and used anyway', async (t) => {
  const shm = '/dev/shm'
  if (filesystemOf(shm, readFileSync('/proc/mounts', 'utf8')) !== 'tmpfs') {
    t.skip('no tmpfs at /dev/shm on this machine')
    return
  }
  const { c, token } = await collectorFor(t, 'TmpfsBot')
  const spool = tempDir(t, 'tt-tmpfs-spool', shm)
  const seen = collect()
  const client = new AuditClient({ url: c.url, token, project: 'TmpfsBot', spoolDir: spool, durability: 'wal', ...FAST_RETRY, onError: seen.onError })
  client.send('test', 'through a tmpfs spool')
  await client.close(30_000)
  const unsafe = seen.errors.find((e) => e.code === 'TT_ERR_CLIENT_SPOOL_UNSAFE')
  assert.ok(unsafe, `TT_ERR_CLIENT_SPOOL_UNSAFE reported; saw ${seen.codes()}`)
  assert.match(unsafe.message, /is on tmpfs.*lost on restart/)
  assert.equal(client.stats().sent, 2)
})
