/**
 * The SDK's everyday promises against a real collector: what send() records is what the
 * trail holds (fields, order, the boot event), the clock watch, and send() never throwing
 * whatever it is given.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { AuditClient } from '../src/audit-client.ts'
import { AuditNotifier, ProjectEvents, ProjectPrivileges } from '../src/seed-aliases.ts'
import { collectorFor, http, projectEvents, tempDir, waitFor } from './helpers/client-harness.ts'

test('send() records what it is given; the trail holds the boot event first, then the events in order', async (t) => {
  const dataDir = join(tempDir(t, 'tt-delivery'), 'data')
  const { c, token } = await collectorFor(t, 'MyTradingBot', { dataDir })
  const client = new AuditNotifier({
    url: c.url, token, projectName: 'MyTradingBot', projectMarket: 'FOREX', projectDescription: 'Automated EURUSD trading system',
    projectPrivileges: ProjectPrivileges.EXECUTE_TRADE, spoolDir: join(tempDir(t, 'tt-spool'), 'spool'),
    source: 'OrderRouter', metadata: { version: '1.2.3' },
  })
  const order = { symbol: 'EURUSD', price: 1.085, quantity: 10000 }
  const before = Date.now()
  client.send(ProjectEvents.TRADE_OPENED, 'Opened long EURUSD', order)
  order.price = 9.99 // changed after send(): the record keeps what was sent
  client.send(ProjectEvents.ERROR, 'Connection timeout to broker', { error_code: 'CONN_TIMEOUT' },
    { severity: 'error', actor: 'bot-7', source: 'BrokerLink', metadata: { latency_us: 12 } })
  client.send('custom.metric:ok', 'A custom type')
  await client.close()
  const after = Date.now()

  const events = await projectEvents(dataDir, 'MyTradingBot')
  assert.deepEqual(events.map((e) => e.type), ['boot', 'trade_opened', 'error', 'custom.metric:ok'])
  const [boot, opened, error] = events
  assert.equal(boot!.message, 'Project was booted.')
  assert.deepEqual(boot!.data, { market: 'FOREX', description: 'Automated EURUSD trading system', privileges: ['execute_trade'] })
  assert.equal((boot!.metadata as { pid: number }).pid, process.pid)
  assert.deepEqual(opened!.data, { symbol: 'EURUSD', price: 1.085, quantity: 10000 })
  assert.equal(opened!.severity, 'info')
  assert.equal(opened!.source, 'OrderRouter')
  assert.deepEqual(opened!.metadata, { version: '1.2.3' })
  assert.deepEqual({ severity: error!.severity, actor: error!.actor, source: error!.source, metadata: error!.metadata },
    { severity: 'error', actor: 'bot-7', source: 'BrokerLink', metadata: { version: '1.2.3', latency_us: 12 } })
  for (const event of events) {
    assert.match(event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUIDv7')
    assert.match(event.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'RFC 3339 UTC with µs')
    const ms = Date.parse(event.ts)
    assert.ok(ms >= before - 1000 && ms <= after, `ts ${event.ts} is the time of the call`)
    assert.equal(event.flags, undefined, 'nothing flagged: the clocks agree, the privilege is granted')
  }
  assert.ok(events.every((e, i) => i === 0 || e.id > events[i - 1]!.id), 'ids ascend in send order')
  assert.deepEqual(client.stats(), { ...client.stats(), queued: 0, spooled: 0, sent: 4, failed: 0, dropped: 0 })
})

test('clock watch: the offset is estimated from acknowledged batches and reported to the collector', async (t) => {
  const { c, token } = await collectorFor(t, 'ClockBot')
  const client = new AuditClient({ url: c.url, token, project: 'ClockBot', spoolDir: false })
  client.send('test', 'first batch: the exchange that gives the first estimate')
  await client.flush()
  client.send('test', 'second batch: carries the estimate')
  await client.close()
  const { clockOffsetMs, clockRttMs } = client.stats()
  assert.ok(clockOffsetMs !== undefined && Math.abs(clockOffsetMs) < 50, `same machine, same clock: offset ${clockOffsetMs} ms`)
  assert.ok(clockRttMs !== undefined && clockRttMs >= 0, `rtt ${clockRttMs} ms`)
  const metrics = await http(c.url, '/metrics', { token: c.adminToken! })
  assert.match(metrics.text, /^tradetrail_client_clock_offset_seconds\{project="ClockBot"\} -?\d/m, 'the collector exposes the reported offset')
})

test('send() never throws, whatever the arguments; every call is delivered or counted as dropped', { timeout: 120_000 }, async (t) => {
  const { c, token } = await collectorFor(t, 'FuzzBot')
  const errors: string[] = []
  const client = new AuditClient({ url: c.url, token, project: 'FuzzBot', spoolDir: join(tempDir(t, 'tt-spool'), 'spool'), boot: false, onError: (e) => errors.push(e.code) })
  const circular: Record<string, unknown> = {}
  circular.self = circular
  const hostile = new Proxy({}, { get() { throw new Error('trap') }, ownKeys() { throw new Error('trap') } })
  const anyValue = fc.oneof(
    fc.anything(), fc.constant(circular), fc.constant(hostile), fc.bigInt().map((b) => ({ b })),
    fc.string(), fc.constantFrom('trade_opened', 'error', 'Not A Type', ''),
  )
  let calls = 0
  fc.assert(fc.property(anyValue, anyValue, anyValue, anyValue, (type, message, data, options) => {
    calls++
    client.send(type as string, message as string, data as Record<string, unknown>, options as object)
  }), { numRuns: 3000 })
  await client.close(60_000)
  const stats = client.stats()
  assert.equal(stats.sent + stats.dropped, calls, `every call accounted for: ${JSON.stringify(stats)}, calls ${calls}`)
  assert.equal(stats.queued + stats.spooled, 0)
  assert.ok(stats.dropped > 0 && errors.length > 0, 'invalid calls were reported')
})

test('without flush(), a lone event leaves within the batching interval', async (t) => {
  const { c, token } = await collectorFor(t, 'IntervalBot')
  const client = new AuditClient({ url: c.url, token, project: 'IntervalBot', spoolDir: false, flushIntervalMs: 20 })
  t.after(() => client.close(1000))
  await waitFor(() => client.stats().sent, (n) => n === 1, { describe: 'the boot event delivered on its own', timeoutMs: 5000 })
  client.send('test', 'one event, nothing else happening')
  await waitFor(() => client.stats().sent, (n) => n === 2, { describe: 'the event delivered on its own', timeoutMs: 5000 })
})
