/**
 * The AlertStore contract: one unresolved alert per key, an event counted once (also when it
 * comes again after a restart), acknowledge and resolve once and for good. Run by
 * notify-store-contract.test.ts on every adapter.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { AlertDraft, AlertStore } from '@tradetrail/core'

export interface AlertStoreHandle {
  open(): Promise<AlertStore & { close(): Promise<void> }>
  destroy(): Promise<void>
}

const at = (s: number): string => `2025-12-17T21:00:${String(s).padStart(2, '0')}.000000Z`
const draft = (key: string, seq: number | null, extra: Partial<AlertDraft> = {}): AlertDraft => ({
  rule: key.split(':')[0]!, key, severity: 'critical', title: `Alert for ${key}`, message: `seq ${seq}`, project: 'AlphaBot', seq, ...extra,
})

export function runAlertStoreContract(name: string, create: () => Promise<AlertStoreHandle>): void {
  describe(`AlertStore contract: ${name}`, () => {
    let handle: AlertStoreHandle
    let store: AlertStore & { close(): Promise<void> }
    before(async () => {
      handle = await create()
      store = await handle.open()
    })
    after(async () => {
      await store.close()
      await handle.destroy()
    })

    it('opens an alert with every field, and counts later drafts of its key on it while unresolved', async () => {
      const opened = await store.raise(draft('privilege_violation:AlphaBot', 5), 'a00000000001', at(1))
      assert.equal(opened.outcome, 'opened')
      assert.deepEqual(opened.alert, {
        id: 'a00000000001', rule: 'privilege_violation', key: 'privilege_violation:AlphaBot', severity: 'critical', title: 'Alert for privilege_violation:AlphaBot',
        message: 'seq 5', project: 'AlphaBot', seq: 5, last_seq: 5, count: 1, state: 'open', opened_at: at(1), last_seen_at: at(1),
        acknowledged_at: null, acknowledged_by: null, resolved_at: null, resolved_by: null,
      })
      const counted = await store.raise(draft('privilege_violation:AlphaBot', 9), 'a00000000002', at(2))
      assert.equal(counted.outcome, 'counted')
      assert.deepEqual([counted.alert.id, counted.alert.count, counted.alert.last_seq, counted.alert.last_seen_at, counted.alert.seq], ['a00000000001', 2, 9, at(2), 5])
      assert.deepEqual(await store.findAlert('a00000000001'), counted.alert)
      assert.equal(await store.findAlert('a00000000002'), undefined)
    })

    it('counts an event once: the same seq again (a replay after a restart) is seen and changes nothing', async () => {
      const again = await store.raise(draft('privilege_violation:AlphaBot', 5), 'a00000000003', at(3))
      assert.equal(again.outcome, 'seen')
      assert.equal(again.alert.id, 'a00000000001')
      assert.equal((await store.findAlert('a00000000001'))!.count, 2)
    })

    it('counts drafts that are no event (seq null) every time', async () => {
      assert.equal((await store.raise(draft('write_failure', null, { project: null }), 'b00000000001', at(4))).outcome, 'opened')
      const second = await store.raise(draft('write_failure', null, { project: null }), 'b00000000002', at(5))
      assert.deepEqual([second.outcome, second.alert.count, second.alert.last_seq], ['counted', 2, null])
    })

    it('acknowledges an open alert once; resolves it once; a resolved key opens a new alert', async () => {
      const acked = await store.acknowledgeAlert('a00000000001', at(6), 'token:5b6b706c3c2f')
      assert.deepEqual([acked?.state, acked?.acknowledged_at, acked?.acknowledged_by], ['acknowledged', at(6), 'token:5b6b706c3c2f'])
      assert.equal((await store.acknowledgeAlert('a00000000001', at(7), 'token:other'))?.acknowledged_by, 'token:5b6b706c3c2f')
      assert.equal((await store.raise(draft('privilege_violation:AlphaBot', 12), 'a00000000004', at(8))).outcome, 'counted', 'an acknowledged alert still counts')
      const resolved = await store.resolveAlert('a00000000001', at(9), 'cli:ops@host')
      assert.deepEqual([resolved?.state, resolved?.resolved_at, resolved?.resolved_by], ['resolved', at(9), 'cli:ops@host'])
      assert.equal((await store.resolveAlert('a00000000001', at(10), 'token:other'))?.resolved_at, at(9))
      assert.equal((await store.acknowledgeAlert('a00000000001', at(10), 'token:other'))?.state, 'resolved')
      assert.equal((await store.raise(draft('privilege_violation:AlphaBot', 12), 'a00000000005', at(11))).outcome, 'seen', 'seq 12 was counted on the resolved alert')
      const reopened = await store.raise(draft('privilege_violation:AlphaBot', 13), 'a00000000006', at(12))
      assert.deepEqual([reopened.outcome, reopened.alert.id], ['opened', 'a00000000006'])
      assert.equal(await store.acknowledgeAlert('ffffffffffff', at(13), 'x'), undefined)
      assert.equal(await store.resolveAlert('ffffffffffff', at(13), 'x'), undefined)
    })

    it('lists newest first, narrowed by state and limited', async () => {
      assert.deepEqual((await store.listAlerts({ limit: 10 })).map((a) => a.id), ['a00000000006', 'b00000000001', 'a00000000001'])
      assert.deepEqual((await store.listAlerts({ states: ['open', 'acknowledged'], limit: 10 })).map((a) => a.id), ['a00000000006', 'b00000000001'])
      assert.deepEqual((await store.listAlerts({ states: ['resolved'], limit: 10 })).map((a) => a.id), ['a00000000001'])
      assert.deepEqual((await store.listAlerts({ limit: 1 })).map((a) => a.id), ['a00000000006'])
    })

    it('keeps everything across a reopening', async () => {
      const before = await store.listAlerts({ limit: 10 })
      await store.close()
      store = await handle.open()
      assert.deepEqual(await store.listAlerts({ limit: 10 }), before)
    })
  })
}
