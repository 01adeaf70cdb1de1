/**
 * Acknowledged means durable (PRODUCT.md guarantees 1 and 2), with real processes: producers
 * keep posting while the collector is SIGKILLed at random moments, round after round on the
 * same data directory; every event whose request was answered 2xx is stored exactly once and
 * the trail verifies. Then a graceful shutdown (SIGTERM) under load: every acknowledged event
 * is stored, the process exits 0 and the trail ends with the collector's `shutdown` event.
 */
import assert from 'node:assert/strict'
import { after, test, type TestContext } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import type { StoredEvent } from '@tradetrail/core'
import {
  closeHttp, type CollectorProcess, deferredHooks, describeAnswer, describeRun, http, runCli, sharedDataDir,
  spawnCollector, testEvent, waitFor,
} from '@tradetrail/test-support'
import { storedEvents } from './helpers/trail.ts'

const PROJECT = 'Crash'
const ROUNDS = 10

const files = deferredHooks()
after(async () => {
  closeHttp()
  await files.run()
})
/** One data directory for every start of this file. */
const dataDir = sharedDataDir(files, 'tt-crash')
let adminToken: string
let ingestToken: string

const randomInt = (min: number, max: number): number => min + Math.floor(Math.random() * (max - min + 1))

/** What producers learned: ids acknowledged 2xx, and ids whose fate is unknown (the request failed). */
interface Ledger {
  acked: Set<string>
  uncertain: Set<string>
  batches: number
}
/** Shared by both tests: the graceful shutdown's check covers the crash rounds' events too. */
const ledger: Ledger = { acked: new Set(), uncertain: new Set(), batches: 0 }

/**
 * One producer: posts batches of 1–50 fresh events back to back until `done()` says stop, or
 * (after `stopOnFailure()` turns true) until a request fails.
 */
async function produce(c: CollectorProcess, ledger: Ledger, done: () => boolean, stopOnFailure: () => boolean): Promise<void> {
  while (!done()) {
    const batch = Array.from({ length: randomInt(1, 50) }, (_, i) => testEvent(PROJECT, { type: 'order_filled', message: `fill ${ledger.batches}.${i}`, data: { qty: i } }))
    ledger.batches++
    let ok = false
    try {
      const answer = await http(c.url, '/v1/events', { token: ingestToken, body: batch, timeoutMs: 60_000 })
      if (answer.status >= 200 && answer.status < 300) {
        const result = answer.json<{ accepted: number; duplicates: number }>()
        assert.deepEqual([result.accepted, result.duplicates], [batch.length, 0], `fresh ids are all accepted: ${describeAnswer(answer)}`)
        for (const e of batch) ledger.acked.add(e.id)
        ok = true
      } else if (answer.status !== 503) {
        assert.fail(`a valid batch got ${describeAnswer(answer)}`)
      }
    } catch (error) {
      if ((error as Error).name === 'AssertionError') throw error
      // Connection refused or reset: the collector is going or gone.
    }
    if (!ok) {
      for (const e of batch) ledger.uncertain.add(e.id)
      if (stopOnFailure()) return
    }
  }
}

/** Every event of the trail, in seq order, through GET /v1/export?format=jsonl. */
async function exportAll(c: CollectorProcess): Promise<StoredEvent[]> {
  const answer = await http(c.url, '/v1/export?format=jsonl', { token: adminToken, timeoutMs: 120_000 })
  assert.equal(answer.status, 200, describeAnswer(answer))
  return answer.text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as StoredEvent)
}

function assertStoredOnce(events: readonly StoredEvent[], ledger: Ledger, what: string): void {
  const counts = new Map<string, number>()
  for (const e of events) if (e.project === PROJECT) counts.set(e.id, (counts.get(e.id) ?? 0) + 1)
  const missing = [...ledger.acked].filter((id) => counts.get(id) !== 1)
  assert.deepEqual(missing.map((id) => `${id} stored ${counts.get(id) ?? 0}×`).slice(0, 10), [], `${what}: every acknowledged event is stored exactly once (${missing.length} of ${ledger.acked.size} are not)`)
  const doubled = [...counts].filter(([, n]) => n > 1)
  assert.deepEqual(doubled.slice(0, 10), [], `${what}: no event is stored twice`)
  const unknown = [...counts.keys()].filter((id) => !ledger.acked.has(id) && !ledger.uncertain.has(id))
  assert.deepEqual(unknown.slice(0, 10), [], `${what}: nothing is stored that was never sent`)
  for (let i = 0; i < events.length; i++) assert.equal(events[i]!.seq, i + 1, `${what}: seq is gap-free (position ${i})`)
}

async function verifyCli(): Promise<void> {
  const result = await runCli(['verify', '--json'], { dataDir, timeoutMs: 120_000 })
  assert.equal(result.code, 0, `tradetrail verify: ${describeRun(result)}`)
  assert.equal(JSON.parse(result.stdout).ok, true, describeRun(result))
}

test(`SIGKILL under load, ${ROUNDS} rounds: every acknowledged event is stored exactly once and the trail verifies`, async (t: TestContext) => {
  const first = await spawnCollector(t, { dataDir })
  assert.ok(first.adminToken, 'the first start prints an admin token')
  adminToken = first.adminToken
  const created = await http(first.url, '/v1/tokens', { token: adminToken, body: { scope: 'ingest', projects: [PROJECT], privileges: ['execute_trade'] } })
  assert.equal(created.status, 201, describeAnswer(created))
  ingestToken = created.json<{ token: string }>().token

  let c = first
  const rounds: string[] = []
  for (let round = 0; round < ROUNDS; round++) {
    if (round > 0) {
      c = await spawnCollector(t, { dataDir })
      assert.equal(c.adminToken, undefined, 'tokens persist: no new admin token on a restart')
    }
    const before = ledger.acked.size
    let killed = false
    const producers = Array.from({ length: randomInt(4, 8) }, () => produce(c, ledger, () => killed, () => killed))
    // The kill lands at a random moment: what is being tested is any moment, not a condition to wait for.
    const killAt = randomInt(50, 500)
    await delay(killAt)
    killed = true
    const exit = await c.kill()
    assert.equal(exit.signal, 'SIGKILL', `round ${round}: the collector was killed, not exited (${JSON.stringify(exit)}); stderr: ${c.stderr().slice(-500)}`)
    await Promise.all(producers)
    rounds.push(`round ${round}: ${producers.length} producers, killed at ${killAt} ms, ${ledger.acked.size - before} acknowledged`)
  }
  t.diagnostic(rounds.join('; '))
  t.diagnostic(`${ledger.acked.size} acknowledged, ${ledger.uncertain.size} uncertain`)
  assert.ok(ledger.acked.size > 0, `some events were acknowledged: ${rounds.join('; ')}`)

  const final = await spawnCollector(t, { dataDir })
  const events = await exportAll(final)
  assertStoredOnce(events, ledger, `after ${ROUNDS} kills`)
  const verify = await http(final.url, '/v1/verify', { token: adminToken })
  assert.equal(verify.json<{ ok: boolean }>().ok, true, `GET /v1/verify: ${describeAnswer(verify)}`)
  await verifyCli()
})

test('SIGTERM under load: every acknowledged event is stored, the process exits 0, and the trail ends with its shutdown event', async (t: TestContext) => {
  assert.ok(ingestToken, 'the crash test ran first and made the tokens')
  const baseline = ledger.acked.size
  const c = await spawnCollector(t, { dataDir })
  let terminated = false
  let exited = false
  void c.exited.then(() => { exited = true })
  const producers = Array.from({ length: 6 }, () => produce(c, ledger, () => exited, () => terminated))
  // Stop once the producers are in full flow: a few hundred events acknowledged.
  await waitFor(() => ledger.acked.size - baseline, (n) => n >= 300, { describe: 'producers to get 300 events acknowledged', timeoutMs: 60_000 })
  terminated = true
  const exit = await c.stop(60_000)
  assert.deepEqual(exit, { code: 0, signal: null }, `exit after SIGTERM; stderr: ${c.stderr().slice(-1000)}`)
  await Promise.all(producers)
  t.diagnostic(`${ledger.acked.size - baseline} acknowledged in this run; ${ledger.acked.size} in all, ${ledger.uncertain.size} uncertain`)

  const events = await storedEvents(dataDir)
  assertStoredOnce(events, ledger, 'after SIGTERM')
  const last = events[events.length - 1]!
  assert.deepEqual([last.project, last.type], ['tradetrail', 'shutdown'], `the trail's last event is the collector's shutdown: ${JSON.stringify(last)}`)
  assert.match(last.message, /SIGTERM/)
  await verifyCli()
})
