/**
 * Guarantee 2 with real processes: nothing lost, nothing doubled. The collector goes away
 * (stopped, killed after committing but before answering, SIGKILLed mid-stream) while a bot
 * keeps sending; the bot itself is SIGKILLed in `wal` mode. Every event arrives once, in order.
 */
import assert from 'node:assert/strict'
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { setImmediate as yieldToLoop } from 'node:timers/promises'
import { test } from 'node:test'
import { AuditClient } from '../src/audit-client.ts'
import {
  assertExactlyOnceInOrder, collectorFor, faultyProxy, projectEvents, startBot, startCollector, tempDir, waitFor,
} from './helpers/client-harness.ts'

const FAST_RETRY = { retryInitialMs: 20, retryMaxMs: 250, flushIntervalMs: 10 }

/** Sends events i = from … to−1 in bursts of 1,000, yielding between them as a bot's loop does. */
async function sendRange(client: AuditClient, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    client.send('order_submitted', `order ${i}`, { i, symbol: 'EURUSD' })
    if (i % 1000 === 999) await yieldToLoop()
  }
}

/** Events in a spool directory, read from the frames' headers (the spool's owner may still hold it). */
function spooledEvents(dir: string): number {
  let events = 0
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.seg')).sort()) {
    const data = readFileSync(join(dir, name))
    for (let offset = 0; offset + 12 <= data.length; offset += 12 + data.readUInt32LE(offset)) events += data.readUInt32LE(offset + 8)
  }
  return events
}

test('the collector stopped while 50k events are sent: all arrive once, in order, after it is back', { timeout: 240_000 }, async (t) => {
  const dataDir = join(tempDir(t, 'tt-outage'), 'data')
  const { c, token } = await collectorFor(t, 'OutageBot', { dataDir })
  const errors: string[] = []
  const client = new AuditClient({ url: c.url, token, project: 'OutageBot', spoolDir: join(tempDir(t, 'tt-spool'), 'spool'), ...FAST_RETRY, onError: (e) => errors.push(e.code) })
  t.after(() => client.close(1000))

  await sendRange(client, 0, 5000)
  await client.flush(30_000)
  assert.equal(client.stats().sent, 5001, 'boot + 5,000 delivered before the outage')

  await c.stop()
  await sendRange(client, 5000, 55_000)
  const during = await waitFor(() => client.stats(), (s) => s.queued === 0 && s.spooled === 50_000,
    { describe: 'all 50,000 events of the outage in the spool, none in memory', timeoutMs: 60_000 })
  assert.ok(during.failed > 0 && errors.includes('TT_ERR_COLLECTOR_UNREACHABLE'), `the outage is reported: failed=${during.failed}, errors=${[...new Set(errors)]}`)

  await startCollector(t, { dataDir, port: c.port })
  await waitFor(() => client.stats(), (s) => s.sent === 55_001 && s.spooled === 0,
    { describe: 'every event delivered after the restart', timeoutMs: 120_000 })
  assert.equal(client.stats().dropped, 0)
  await client.close()
  assertExactlyOnceInOrder(await projectEvents(dataDir, 'OutageBot'), 55_000)
})

test('answers lost after the commit and a collector SIGKILLed mid-stream: duplicates absorbed, nothing missing', { timeout: 240_000 }, async (t) => {
  const dataDir = join(tempDir(t, 'tt-midbatch'), 'data')
  let { c, token } = await collectorFor(t, 'MidBatchBot', { dataDir })
  const proxy = await faultyProxy(t, c.url)
  const client = new AuditClient({ url: proxy.url, token, project: 'MidBatchBot', spoolDir: join(tempDir(t, 'tt-spool'), 'spool'), ...FAST_RETRY, onError: () => undefined })
  t.after(() => client.close(1000))

  // Committed by the collector, answer destroyed: the client cannot know, so it sends the
  // same batch again (and nothing newer before it is acknowledged).
  proxy.mode = 'commit-then-drop'
  await sendRange(client, 0, 3000)
  await waitFor(() => proxy.requests, (n) => n >= 4, { describe: 'the first batch sent four times', timeoutMs: 30_000 })
  const stored = await projectEvents(dataDir, 'MidBatchBot')
  assert.ok(stored.length > 0, 'the collector committed the first batch')
  assert.equal(new Set(stored.map((e) => e.id)).size, stored.length, 'its resends were absorbed')
  assert.equal(client.stats().sent, 0, 'no acknowledgement reached the client')
  proxy.mode = 'forward'
  await waitFor(() => client.stats(), (s) => s.sent === 3001, { describe: 'everything acknowledged once answers get through', timeoutMs: 60_000 })

  // Now the collector itself dies at arbitrary moments under load, three times.
  let next = 3000
  for (let round = 0; round < 3; round++) {
    const sending = sendRange(client, next, next + 10_000)
    next += 10_000
    await waitFor(async () => (await projectEvents(dataDir, 'MidBatchBot')).length, (n) => n > 3001 + round * 10_000 + 2000,
      { describe: `round ${round}: the collector storing events under load`, timeoutMs: 60_000 })
    c.child.kill('SIGKILL')
    await c.exited
    await sending
    c = await startCollector(t, { dataDir, port: c.port })
  }
  await client.flush(120_000)
  await waitFor(() => client.stats(), (s) => s.sent === next + 1 && s.queued === 0 && s.spooled === 0,
    { describe: `all ${next + 1} events acknowledged`, timeoutMs: 120_000 })
  await client.close()
  assertExactlyOnceInOrder(await projectEvents(dataDir, 'MidBatchBot'), next)
})

test('wal mode: a bot SIGKILLed mid-stream loses at most its last batching interval; the next client replays the rest', { timeout: 180_000 }, async (t) => {
  const spool = join(tempDir(t, 'tt-wal'), 'spool')
  // No collector yet: everything the bot records can only be in its spool.
  const bot = startBot(t, { BOT_URL: 'http://127.0.0.1:9', BOT_TOKEN: 'tt_000000000000_x', BOT_SPOOL: spool, BOT_DURABILITY: 'wal', BOT_PER_MS: '20', BOT_FLUSH_MS: '20' })
  await waitFor(() => bot.lastSent(), (i) => i >= 20_000, { describe: 'the bot to send 20,000 events', timeoutMs: 90_000, show: () => bot.stdout().slice(-500) })
  const reported = bot.lastSent()
  // wal: once a batching interval has passed, what was sent before it is on disk.
  await waitFor(() => spooledEvents(spool), (n) => n >= reported + 2, { describe: `the spool to hold boot + events 0…${reported}` })
  bot.child.kill('SIGKILL')
  assert.equal((await bot.exited).signal, 'SIGKILL')

  const dataDir = join(tempDir(t, 'tt-wal-collector'), 'data')
  const { c, token } = await collectorFor(t, 'TestBot', { dataDir })
  const client = new AuditClient({ url: c.url, token, project: 'TestBot', spoolDir: spool, boot: false, ...FAST_RETRY })
  await waitFor(() => client.stats(), (s) => s.spooled === 0 && s.sent > reported,
    { describe: `the dead bot's spool replayed (at least ${reported + 2} events)`, timeoutMs: 90_000 })
  await client.close()
  const events = await projectEvents(dataDir, 'TestBot')
  assert.equal(events[0]!.type, 'boot', "the dead bot's boot event comes first")
  const replayed = events.length - 1
  assert.ok(replayed > reported, `every event up to the last reported one (${reported}) is there; got ${replayed}`)
  assertExactlyOnceInOrder(events, replayed)
})
