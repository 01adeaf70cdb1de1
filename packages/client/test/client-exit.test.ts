/**
 * A bot's end, however it comes, loses nothing and changes nothing about how the bot ends:
 * the loop running dry, process.exit(), SIGTERM with and without the host's own handler.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { AuditClient } from '../src/audit-client.ts'
import { assertExactlyOnceInOrder, collectorFor, projectEvents, startBot, tempDir, waitFor } from './helpers/client-harness.ts'

function spoolFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith('.seg'))
  } catch {
    return []
  }
}

test('a bot whose work ends (the loop runs dry) delivers everything before it exits', async (t) => {
  const dataDir = join(tempDir(t, 'tt-natural'), 'data')
  const { c, token } = await collectorFor(t, 'TestBot', { dataDir })
  const bot = startBot(t, { BOT_URL: c.url, BOT_TOKEN: token, BOT_SPOOL: join(tempDir(t, 'tt-spool'), 'spool'), BOT_COUNT: '3000', BOT_END: 'natural' })
  const exit = await bot.exited
  assert.deepEqual(exit, { code: 0, signal: null }, bot.stdout())
  assertExactlyOnceInOrder(await projectEvents(dataDir, 'TestBot'), 3000)
})

test('process.exit() right after send(): the events are in the spool, and the next client delivers them', async (t) => {
  const spool = join(tempDir(t, 'tt-exit'), 'spool')
  const dataDir = join(tempDir(t, 'tt-exit-collector'), 'data')
  const { c, token } = await collectorFor(t, 'TestBot', { dataDir })
  const bot = startBot(t, { BOT_URL: c.url, BOT_TOKEN: token, BOT_SPOOL: spool, BOT_COUNT: '2000', BOT_PER_MS: '2000', BOT_END: 'exit' })
  assert.deepEqual(await bot.exited, { code: 0, signal: null }, bot.stdout())
  const delivered = (await projectEvents(dataDir, 'TestBot')).length
  assert.ok(delivered < 2001, 'the bot had no time to deliver everything itself')
  assert.ok(spoolFiles(spool).length > 0, 'what it could not deliver is in its spool')

  // flush() right away: the spool, still opening, holds what counts as sent before.
  const client = new AuditClient({ url: c.url, token, project: 'TestBot', spoolDir: spool, boot: false, retryInitialMs: 20 })
  await client.flush(30_000)
  assert.equal((await projectEvents(dataDir, 'TestBot')).length, 2001, 'the spool replayed by flush() alone')
  await client.close()
  assertExactlyOnceInOrder(await projectEvents(dataDir, 'TestBot'), 2000)
})

test('SIGTERM to a bot without a handler of its own: events flushed, then it dies of SIGTERM as it would have', async (t) => {
  const dataDir = join(tempDir(t, 'tt-sigterm'), 'data')
  const { c, token } = await collectorFor(t, 'TestBot', { dataDir })
  const bot = startBot(t, { BOT_URL: c.url, BOT_TOKEN: token, BOT_SPOOL: join(tempDir(t, 'tt-spool'), 'spool'), BOT_COUNT: '5000', BOT_PER_MS: '5', BOT_END: 'linger' })
  await waitFor(() => bot.lastSent(), (i) => i >= 4999, { describe: 'the bot to send 5,000 events', timeoutMs: 30_000, show: () => bot.stdout().slice(-300) })
  bot.child.kill('SIGTERM')
  assert.deepEqual(await bot.exited, { code: null, signal: 'SIGTERM' }, bot.stdout())
  assertExactlyOnceInOrder(await projectEvents(dataDir, 'TestBot'), 5000)
})

test("SIGTERM to a bot with its own handler: the client flushes and leaves the decision to the bot's handler", async (t) => {
  const dataDir = join(tempDir(t, 'tt-sigterm-own'), 'data')
  const { c, token } = await collectorFor(t, 'TestBot', { dataDir })
  const bot = startBot(t, {
    BOT_URL: c.url, BOT_TOKEN: token, BOT_SPOOL: join(tempDir(t, 'tt-spool'), 'spool'), BOT_COUNT: '3000', BOT_END: 'linger',
    BOT_OWN_SIGTERM: '1', BOT_OWN_DELAY_MS: '1500',
  })
  await waitFor(() => bot.lastSent(), (i) => i >= 2999, { describe: 'the bot to send 3,000 events', timeoutMs: 30_000 })
  bot.child.kill('SIGTERM')
  assert.deepEqual(await bot.exited, { code: 0, signal: null }, `the host's handler decides how it ends: ${bot.stdout()}`)
  assert.match(bot.stdout(), /host sigterm/)
  assertExactlyOnceInOrder(await projectEvents(dataDir, 'TestBot'), 3000)
})

test('SIGINT with the collector down: the bounded flush gives up, the events go to the spool, the bot dies of SIGINT', async (t) => {
  const spool = join(tempDir(t, 'tt-sigint'), 'spool')
  const bot = startBot(t, { BOT_URL: 'http://127.0.0.1:9', BOT_TOKEN: 'tt_000000000000_x', BOT_SPOOL: spool, BOT_COUNT: '1000', BOT_END: 'linger', BOT_EXIT_FLUSH_MS: '300' })
  await waitFor(() => bot.lastSent(), (i) => i >= 999, { describe: 'the bot to send 1,000 events', timeoutMs: 30_000 })
  const started = Date.now()
  bot.child.kill('SIGINT')
  assert.deepEqual(await bot.exited, { code: null, signal: 'SIGINT' }, bot.stdout())
  assert.ok(Date.now() - started < 10_000, 'the flush on a signal is bounded')
  let spooled = 0
  for (const name of spoolFiles(spool)) {
    const data = readFileSync(join(spool, name))
    for (let o = 0; o + 12 <= data.length; o += 12 + data.readUInt32LE(o)) spooled += data.readUInt32LE(o + 8)
  }
  assert.equal(spooled, 1001, 'boot + 1,000 events in the spool')
})
