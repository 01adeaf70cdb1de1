/**
 * The EventStore contract: every adapter runs this suite (SQLite in a temp directory,
 * PostgreSQL against the real local server). TRADETRAIL_TEST_STORES narrows the list.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import fc from 'fast-check'
import {
  type EventStore, type HoldStore, type LegalHold, type PreparedEvent, ManualClock, GENESIS_HASH, hashStoredEvent, millisKey, timestampKey, uuidv7, validateBatch,
} from '@tradetrail/core'
import { CheckpointSigner } from '../../src/checkpoint-signer.ts'
import { type RetentionPolicy, purgeExpired } from '../../src/retention.ts'
import { verifyTrail } from '../../src/verify-trail.ts'

/** One database of an adapter; `open` may be called again after closing to reopen the same data. */
export interface StoreHandle {
  open(clock: ManualClock): Promise<EventStore>
  /** The legal holds kept with the same data (open the event store first). */
  openHolds(): Promise<HoldStore & { close(): Promise<void> }>
  destroy(): Promise<void>
}

export interface StoreAdapter {
  name: string
  create(): Promise<StoreHandle>
}

const T0 = Date.UTC(2025, 11, 17, 21, 0, 0)

function prepare(events: Array<Record<string, unknown>>, nowMs = T0): PreparedEvent[] {
  return validateBatch(events, { nowMicros: nowMs * 1000 })
}

function ev(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ts: new Date(T0 + i * 1000).toISOString(), project: i % 2 === 0 ? 'AlphaBot' : 'BetaBot', type: i % 3 === 0 ? 'trade_opened' : 'order_submitted',
    message: `Order ${i} for EURUSD`, data: { symbol: 'EURUSD', quantity: i }, ...extra,
  }
}

export function runEventStoreContract(adapter: StoreAdapter): void {
  describe(`EventStore contract: ${adapter.name}`, () => {
    let handle: StoreHandle
    let store: EventStore
    let clock: ManualClock
    let keyDir: string
    let signer: CheckpointSigner

    const fresh = async (): Promise<void> => {
      await store?.close()
      await handle?.destroy()
      handle = await adapter.create()
      clock = new ManualClock(T0)
      store = await handle.open(clock)
    }

    before(async () => {
      keyDir = mkdtempSync(join(tmpdir(), 'tt-keys-'))
      signer = CheckpointSigner.open(keyDir)
    })
    after(async () => {
      await store?.close()
      await handle?.destroy()
      rmSync(keyDir, { recursive: true, force: true })
    })

    it('assigns gap-free seq from 1, received_at and a verifiable chain hash', async () => {
      await fresh()
      const a = await store.append(prepare([ev(1), ev(2), ev(3)]))
      assert.deepEqual(a, { accepted: 3, duplicates: 0, first_seq: 1, last_seq: 3 })
      clock.advanceMs(5)
      const b = await store.append(prepare([ev(4)]))
      assert.deepEqual(b, { accepted: 1, duplicates: 0, first_seq: 4, last_seq: 4 })
      const events = await store.query({ limit: 10, order: 'asc' })
      assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4])
      assert.equal(events[0]!.received_at, '2025-12-17T21:00:00.000000Z')
      assert.equal(events[3]!.received_at, '2025-12-17T21:00:00.005000Z')
      let prev: Uint8Array = GENESIS_HASH
      for (const e of events) {
        assert.equal(hashStoredEvent(prev, e).toString('hex'), e.hash, `hash of seq ${e.seq} recomputed from its exported JSON`)
        prev = Buffer.from(e.hash, 'hex')
      }
      assert.equal((await store.head()).seq, 4)
      assert.equal(await store.count(), 4)
    })

    it('stores an id once: repeats within a batch and across batches are duplicates', async () => {
      await fresh()
      const batch = prepare([ev(1), ev(2)])
      await store.append(batch)
      const again = await store.append([batch[1]!, ...prepare([ev(3)]), batch[0]!])
      assert.deepEqual(again, { accepted: 1, duplicates: 2, first_seq: 3, last_seq: 3 })
      const inBatch = prepare([ev(4)])
      assert.deepEqual(await store.append([inBatch[0]!, inBatch[0]!]), { accepted: 1, duplicates: 1, first_seq: 4, last_seq: 4 })
      assert.deepEqual(await store.append(batch), { accepted: 0, duplicates: 2, first_seq: null, last_seq: null })
      assert.equal(await store.count(), 4)
    })

    it('group-commits several batches in one transaction, each with its own result', async () => {
      await fresh()
      const [a, b, c] = [prepare([ev(1), ev(2)]), prepare([ev(3)]), prepare([ev(4), ev(5), ev(6)])]
      await store.append(b)
      const results = await store.appendGroup([{ events: a }, { events: b }, { events: [c[0]!, a[0]!, c[1]!, c[2]!] }])
      assert.deepEqual(results, [
        { accepted: 2, duplicates: 0, first_seq: 2, last_seq: 3 },
        { accepted: 0, duplicates: 1, first_seq: null, last_seq: null },
        { accepted: 3, duplicates: 1, first_seq: 4, last_seq: 6 },
      ])
      assert.deepEqual((await store.query({ limit: 10, q: 'EURUSD', order: 'asc' })).map((e) => e.seq), [1, 2, 3, 4, 5, 6])
      assert.equal((await verifyTrail(store, signer.publicKey)).ok, true)
    })

    it('keeps every field exactly, nanosecond timestamps and unicode included', async () => {
      await fresh()
      const input = {
        id: uuidv7(T0), ts: '2025-12-17T21:00:03.123456789Z', project: 'Quantum.Trader_V3', type: 'kill_switch', severity: 'critical',
        message: 'Kill switch: feed stale 5000 ms — € ✅ 😀', source: 'FeedStalenessCalculator', actor: 'risk-engine',
        data: { max_staleness_ms: 5000, nested: { list: [1, 2.5, 'x', null, true] }, 'ü': 'ö' }, metadata: { processing_latency_us: 15.2, host: 'h1' },
      }
      const [prepared] = prepare([input])
      await store.append([{ ...prepared!, flags: ['privilege_violation'] }])
      const stored = await store.get(input.id)
      assert.ok(stored)
      const { seq, received_at, hash, flags, ...rest } = stored
      assert.deepEqual(rest, input)
      assert.deepEqual(flags, ['privilege_violation'])
      assert.equal(seq, 1)
      assert.equal(hashStoredEvent(GENESIS_HASH, stored).toString('hex'), hash, 'flags are covered by the hash')
      assert.equal(received_at, '2025-12-17T21:00:00.000000Z')
      assert.equal(await store.get(uuidv7()), undefined)
    })

    it('filters by project, type, minimum severity, source and time; orders and pages by seq', async () => {
      await fresh()
      await store.append(prepare([
        ev(0, { severity: 'debug' }), ev(1, { severity: 'warning', source: 'feed' }), ev(2, { severity: 'error' }),
        ev(3, { severity: 'critical', source: 'feed' }), ev(4), ev(5, { type: 'boot' }),
      ]))
      const seqs = async (o: Parameters<EventStore['query']>[0]): Promise<number[]> => (await store.query(o)).map((e) => e.seq)
      assert.deepEqual(await seqs({ limit: 10 }), [6, 5, 4, 3, 2, 1])
      assert.deepEqual(await seqs({ limit: 10, order: 'asc' }), [1, 2, 3, 4, 5, 6])
      assert.deepEqual(await seqs({ limit: 10, project: 'AlphaBot' }), [5, 3, 1])
      assert.deepEqual(await seqs({ limit: 10, type: 'trade_opened' }), [4, 1])
      assert.deepEqual(await seqs({ limit: 10, severity: 'warning' }), [4, 3, 2])
      assert.deepEqual(await seqs({ limit: 10, severity: 'critical' }), [4])
      assert.deepEqual(await seqs({ limit: 10, source: 'feed' }), [4, 2])
      assert.deepEqual(await seqs({ limit: 10, since: millisKey(T0 + 2000), until: millisKey(T0 + 4000) }), [4, 3])
      assert.deepEqual(await seqs({ limit: 10, since: timestampKey('2025-12-17T21:00:02.000000001Z') }), [6, 5, 4])
      assert.deepEqual(await seqs({ limit: 2 }), [6, 5])
      assert.deepEqual(await seqs({ limit: 2, beforeSeq: 5 }), [4, 3])
      assert.deepEqual(await seqs({ limit: 2, afterSeq: 2, order: 'asc' }), [3, 4])
      assert.deepEqual(await seqs({ limit: 10, project: 'AlphaBot', severity: 'error', afterSeq: 3 }), [])
    })

    it('filters by a list of projects (a read token limited to some) in every way of reading', async () => {
      await fresh()
      await store.append(prepare([ev(0), ev(1), ev(2, { project: 'GammaBot' }), ev(3, { message: 'beta searched' }), ev(4)]))
      const seqs = async (o: Parameters<EventStore['query']>[0]): Promise<number[]> => (await store.query(o)).map((e) => e.seq)
      assert.deepEqual(await seqs({ limit: 10, projects: ['BetaBot', 'GammaBot'] }), [4, 3, 2])
      assert.deepEqual(await seqs({ limit: 10, projects: ['BetaBot'], q: 'searched' }), [4])
      assert.deepEqual(await seqs({ limit: 10, projects: ['AlphaBot'], q: 'searched' }), [])
      assert.deepEqual(await seqs({ limit: 10, projects: ['BetaBot'], project: 'AlphaBot' }), [], 'both apply')
      assert.deepEqual(await seqs({ limit: 10, projects: [] }), [], 'an empty list matches nothing')
      assert.deepEqual((await store.stats({ projects: ['GammaBot', 'nobody'] })).by_project, { GammaBot: 1 })
      const scanned: number[] = []
      for await (const chunk of store.scan({ projects: ['AlphaBot'] }, 2)) scanned.push(...chunk.map((e) => e.seq))
      assert.deepEqual(scanned, [1, 5])
    })

    it('searches full text: words, phrases, prefixes, data values, and never fails on odd input', async () => {
      await fresh()
      await store.append(prepare([
        { project: 'p', message: 'Connection timeout to broker', data: { error_code: 'CONN_TIMEOUT' } },
        { project: 'p', message: 'Opened long EURUSD', data: { symbol: 'EURUSD', price: 1.085 } },
        { project: 'p', message: 'Closed EURUSD position', source: 'OrderRouter' },
        { project: 'q', message: 'Auto-repair: Restarted Grafana container' },
      ]))
      const seqs = async (q: string, extra: Record<string, unknown> = {}): Promise<number[]> => (await store.query({ limit: 10, q, ...extra })).map((e) => e.seq)
      assert.deepEqual(await seqs('EURUSD'), [3, 2])
      assert.deepEqual(await seqs('eurusd opened'), [2])
      assert.deepEqual(await seqs('"long EURUSD"'), [2])
      assert.deepEqual(await seqs('"EURUSD long"'), [])
      assert.deepEqual(await seqs('EUR*'), [3, 2])
      assert.deepEqual(await seqs('CONN_TIMEOUT'), [1])
      assert.deepEqual(await seqs('orderrouter'), [3])
      assert.deepEqual(await seqs('grafana', { project: 'q' }), [4])
      assert.deepEqual(await seqs('grafana', { project: 'p' }), [])
      assert.deepEqual(await seqs('EURUSD', { afterSeq: 2, order: 'asc' }), [3])
      assert.deepEqual(await seqs('EURUSD', { beforeSeq: 3 }), [2])
      for (const odd of ['"', '*', 'AND', 'OR NOT', '(', 'a:b', '^x', 'NEAR(a b)', "'; DROP TABLE events; --", '!!!']) {
        await store.query({ limit: 10, q: odd }) // must not throw
      }
      assert.deepEqual(await seqs('!!!'), [], 'a search with no word in it matches nothing')
    })

    it('counts by project, type and severity over a range', async () => {
      await fresh()
      await store.append(prepare([ev(0, { severity: 'error' }), ev(1), ev(2), ev(3, { severity: 'error' })]))
      assert.deepEqual(await store.stats({}), {
        total: 4, by_project: { AlphaBot: 2, BetaBot: 2 }, by_type: { trade_opened: 2, order_submitted: 2 }, by_severity: { error: 2, info: 2 },
      })
      const ranged = await store.stats({ since: millisKey(T0 + 1000) })
      assert.equal(ranged.total, 3)
      assert.deepEqual(await store.stats({ project: 'nobody' }), { total: 0, by_project: {}, by_type: {}, by_severity: {} })
    })

    it('scans in seq order a chunk at a time, up to the head at the start', async () => {
      await fresh()
      await store.append(prepare(Array.from({ length: 25 }, (_, i) => ev(i))))
      const seen: number[] = []
      let appendedDuringScan = false
      for await (const chunk of store.scan({}, 10)) {
        assert.ok(chunk.length <= 10)
        seen.push(...chunk.map((e) => e.seq))
        if (!appendedDuringScan) {
          appendedDuringScan = true
          await store.append(prepare([ev(100)]))
        }
      }
      assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => i + 1))
      const alpha: number[] = []
      for await (const chunk of store.scan({ project: 'AlphaBot' }, 4)) alpha.push(...chunk.map((e) => e.seq))
      assert.deepEqual(alpha, [1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 26], 'a new scan sees the event appended meanwhile')
      const chain: number[] = []
      for await (const chunk of store.scanChain(20, 3)) chain.push(...chunk.map((r) => r.seq))
      assert.deepEqual(chain, [21, 22, 23, 24, 25, 26])
    })

    it('keeps checkpoints, and purges whole ranges behind a signed anchor from which the rest verifies', async () => {
      await fresh()
      for (let day = 0; day < 4; day++) {
        await store.append(prepare([ev(day * 10), ev(day * 10 + 1), ev(day * 10 + 2)]))
        clock.advanceMs(86_400_000)
      }
      const head = await store.head()
      await store.addCheckpoint(signer.sign({ seq: head.seq, hash: head.hash.toString('hex'), time: '2025-12-21T21:00:00Z' }))
      assert.equal((await store.checkpoints()).length, 1)
      assert.equal((await store.latestCheckpoint())?.seq, head.seq)
      const [third] = await store.query({ afterSeq: 2, limit: 1, order: 'asc' })
      await store.addCheckpoint(signer.sign({ seq: 3, hash: third!.hash, time: '2025-12-18T21:00:00Z' }))
      assert.deepEqual((await store.checkpoints()).map((c) => c.seq), [head.seq],
        'a checkpoint of an older head, signed while another process signed a newer one, is not kept: the newer covers it, and witnesses deliver in seq order')
      assert.equal((await store.latestCheckpoint())?.seq, head.seq)
      assert.equal(await store.lastSeqReceivedBefore('2025-12-19T00:00:00Z'), 6)
      assert.equal(await store.lastSeqReceivedBefore('2025-12-01T00:00:00Z'), 0)
      assert.equal(await store.lastSeqReceivedBefore('2026-12-01T00:00:00Z'), 12)

      const holds = await handle.openHolds()
      const policy = (retentionMs: number): RetentionPolicy => ({ retentionMs, minRetentionMs: 86_400_000 })
      const result = await purgeExpired({ store, holds, signer, policy: policy(2.5 * 86_400_000), clock })
      assert.equal(result.purged, 6)
      assert.equal(result.anchor?.seq, 6)
      assert.equal(await store.count(), 6)
      assert.deepEqual((await store.query({ limit: 1, order: 'asc' })).map((e) => e.seq), [7])
      assert.deepEqual(await store.query({ limit: 10, q: 'Order', beforeSeq: 7 }), [], 'purged events leave the full-text index too')
      assert.equal((await store.anchor())?.seq, 6)
      const report = await verifyTrail(store, signer.publicKey)
      assert.equal(report.ok, true, JSON.stringify(report.problem))
      assert.equal(report.first_seq, 7)

      // Purging everything leaves the head at the anchor, and the chain continues from it.
      clock.advanceMs(10 * 86_400_000)
      assert.equal((await purgeExpired({ store, holds, signer, policy: policy(86_400_000), clock })).purged, 6)
      assert.equal((await store.head()).seq, 12)
      assert.deepEqual(await store.append(prepare([ev(50)])), { accepted: 1, duplicates: 0, first_seq: 13, last_seq: 13 })
      assert.equal((await verifyTrail(store, signer.publicKey)).ok, true)
      assert.equal((await purgeExpired({ store, holds, signer, policy: policy(86_400_000), clock })).purged, 0, 'nothing is old enough')
      await holds.close()
    })

    it('keeps legal holds, and purges only what no hold in force covers; a hold placed after a purge was planned stops it', async () => {
      await fresh()
      const holds = await handle.openHolds()
      const hold = (id: string, over: Partial<LegalHold>): LegalHold => ({
        id, project: null, from: null, to: null, reason: `case ${id}`, placed_at: '2025-12-17T21:00:00.000000Z', placed_by: 'cli:test@host',
        released_at: null, released_by: null, release_reason: null, ...over,
      })
      for (let day = 0; day < 4; day++) {
        await store.append(prepare([ev(day * 10), ev(day * 10 + 1), ev(day * 10 + 2, { project: day === 2 ? 'HeldBot' : 'AlphaBot' })]))
        clock.advanceMs(86_400_000)
      }
      await holds.placeHold(hold('a1', { project: 'HeldBot' }))
      await holds.placeHold(hold('b2', { from: timestampKey(new Date(T0 + 11_000).toISOString())!, to: timestampKey(new Date(T0 + 12_000).toISOString())! }))
      assert.deepEqual((await holds.listHolds()).map((h) => [h.id, h.project, h.released_at]), [['a1', 'HeldBot', null], ['b2', null, null]])
      const policy: RetentionPolicy = { retentionMs: 86_400_000, minRetentionMs: 86_400_000 }
      // ev(11) is stamped inside b2's range (seq 5); HeldBot's event is seq 9: b2 stops the purge first.
      const first = await purgeExpired({ store, holds, signer, policy, clock })
      assert.deepEqual([first.purged, first.anchor?.seq, first.held], [4, 4, { hold: 'b2', reason: 'case b2', seq: 5 }])
      const released = await holds.releaseHold('b2', '2025-12-22T00:00:00.000000Z', 'cli:test@host', 'case closed')
      assert.deepEqual([released?.released_at, released?.released_by, released?.release_reason], ['2025-12-22T00:00:00.000000Z', 'cli:test@host', 'case closed'])
      assert.equal((await holds.releaseHold('b2', '2025-12-23T00:00:00.000000Z', 'x', 'again'))?.released_at, '2025-12-22T00:00:00.000000Z', 'released once')
      assert.equal(await holds.releaseHold('nope', '2025-12-23T00:00:00.000000Z', 'x', 'y'), undefined)
      const second = await purgeExpired({ store, holds, signer, policy, clock })
      assert.deepEqual([second.purged, second.anchor?.seq, second.held?.hold], [4, 8, 'a1'])
      // A purge planned before a hold was placed does nothing.
      const head = await store.head()
      const planned = signer.signAnchor({
        seq: head.seq, hash: head.hash.toString('hex'), time: '2025-12-22T00:00:00.000000Z', purged: 4, newest_received_at: '2025-12-20T21:00:00.000000Z',
        min_retention_ms: 1, retention_ms: 1, below_minimum: null,
      })
      const placed = (await holds.listHolds()).length
      await holds.placeHold(hold('c3', { project: 'AlphaBot' }))
      assert.equal(await store.purge(planned, placed), false)
      assert.equal(await store.count(), 4, 'nothing was purged')
      assert.equal((await store.anchor())?.seq, 8)
      assert.equal(await store.purge(planned, placed + 1), true)
      assert.deepEqual(await store.anchors(), [first.anchor, second.anchor, planned], 'every anchor, with its policy, in seq order')
      await holds.close()
    })

    it('reads checkpoints after a seq, every anchor, and named cursors that survive a reopening (what witnesses deliver from)', async () => {
      await fresh()
      for (let i = 0; i < 5; i++) {
        await store.append(prepare([ev(i * 2), ev(i * 2 + 1)]))
        const head = await store.head()
        await store.addCheckpoint(signer.sign({ seq: head.seq, hash: head.hash.toString('hex'), time: `2025-12-17T21:0${i}:00.000000Z` }))
        clock.advanceMs(86_400_000)
      }
      assert.deepEqual((await store.checkpoints(4)).map((c) => c.seq), [6, 8, 10])
      assert.deepEqual((await store.checkpoints(4, 2)).map((c) => c.seq), [6, 8])
      assert.deepEqual((await store.checkpoints(10)).map((c) => c.seq), [])
      assert.deepEqual([await store.countCheckpoints(0), await store.countCheckpoints(5), await store.countCheckpoints(10)], [5, 3, 0])
      assert.deepEqual(await store.anchors(), [])
      const holds = await handle.openHolds()
      const first = await purgeExpired({ store, holds, signer, policy: { retentionMs: 3.5 * 86_400_000, minRetentionMs: 86_400_000 }, clock })
      const second = await purgeExpired({ store, holds, signer, policy: { retentionMs: 1.5 * 86_400_000, minRetentionMs: 86_400_000 }, clock })
      await holds.close()
      assert.deepEqual((await store.anchors()).map((a) => a.seq), [first.anchor!.seq, second.anchor!.seq])
      assert.deepEqual((await store.anchors()).at(-1), await store.anchor(), 'the last of anchors() is anchor()')
      assert.deepEqual((await store.anchors())[0], first.anchor, 'an anchor reads back as it was written')

      assert.equal(await store.cursor('witness:test'), undefined)
      await store.setCursor('witness:test', 8)
      await store.setCursor('witness:other', 2)
      await store.setCursor('witness:test', 10)
      await store.close()
      store = await handle.open(clock)
      assert.deepEqual([await store.cursor('witness:test'), await store.cursor('witness:other')], [10, 2])
    })

    it('never lets received_at go backwards when the clock does', async () => {
      await fresh()
      await store.append(prepare([ev(1)]))
      clock.advanceMs(-60_000)
      await store.append(prepare([ev(2)]))
      const [a, b] = await store.query({ limit: 2, order: 'asc' })
      assert.ok(b!.received_at >= a!.received_at, `${b!.received_at} >= ${a!.received_at}`)
    })

    it('refuses to work after close', async () => {
      await fresh()
      await store.close()
      await assert.rejects(store.append(prepare([ev(1)])), { code: 'TT_ERR_STORE_CLOSED' })
      store = await handle.open(clock)
    })

    it('property: any interleaving of batches, duplicates and reopenings gives a gap-free, verifying trail with one copy per id', async () => {
      const command = fc.oneof(
        fc.record({ kind: fc.constant('append' as const), fresh: fc.integer({ min: 0, max: 30 }), repeats: fc.array(fc.nat(), { maxLength: 10 }), inBatchRepeat: fc.boolean() }),
        fc.record({ kind: fc.constant('reopen' as const) }),
        fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: -1000, max: 5000 }) }),
      )
      await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 25 }), async (commands) => {
        await fresh()
        const known: PreparedEvent[] = []
        let n = 0
        for (const c of commands) {
          if (c.kind === 'reopen') {
            await store.close()
            store = await handle.open(clock)
          } else if (c.kind === 'tick') {
            clock.advanceMs(c.ms)
          } else {
            const batch = c.fresh > 0 ? prepare(Array.from({ length: c.fresh }, () => ev(n++)), T0 + n) : []
            const repeats = known.length > 0 ? c.repeats.map((r) => known[r % known.length]!) : []
            const all = [...batch, ...repeats, ...(c.inBatchRepeat && batch.length > 0 ? [batch[0]!] : [])]
            if (all.length === 0) continue
            const result = await store.append(all)
            assert.equal(result.accepted, batch.length)
            assert.equal(result.duplicates, all.length - batch.length)
            known.push(...batch)
          }
        }
        const events: number[] = []
        const ids = new Set<string>()
        for await (const chunk of store.scan({}, 50)) for (const e of chunk) { events.push(e.seq); ids.add(e.id) }
        assert.deepEqual(events, Array.from({ length: known.length }, (_, i) => i + 1), 'seq is gap-free')
        assert.equal(ids.size, known.length, 'one stored copy per id')
        for (const e of known) assert.ok(ids.has(e.id))
        const report = await verifyTrail(store, signer.publicKey)
        assert.equal(report.ok, true, JSON.stringify(report.problem))
        assert.equal(report.checked, known.length)
      }), { numRuns: Number(process.env.TRADETRAIL_PROPERTY_RUNS ?? 40) })
    })
  })
}
