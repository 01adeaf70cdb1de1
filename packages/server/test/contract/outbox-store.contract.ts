/**
 * The OutboxStore contract: an entry per key (a second enqueue of a key changes nothing), sent
 * in queue order per channel, failures counted with the next attempt, delivered ones out of the
 * waiting list. Run by notify-store-contract.test.ts on every adapter.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Notification, OutboxStore } from '@tradetrail/core'

export interface OutboxStoreHandle {
  open(): Promise<OutboxStore & { close(): Promise<void> }>
  destroy(): Promise<void>
}

const at = (s: number): string => `2025-12-17T21:00:${String(s).padStart(2, '0')}.000000Z`
const note = (title: string): Notification => ({ kind: 'alert', severity: 'critical', title, text: 'Kill switch: “all positions closed”', fields: [['Project', 'AlphaBot']], alert_id: 'a00000000001' })

export function runOutboxStoreContract(name: string, create: () => Promise<OutboxStoreHandle>): void {
  describe(`OutboxStore contract: ${name}`, () => {
    let handle: OutboxStoreHandle
    let store: OutboxStore & { close(): Promise<void> }
    before(async () => {
      handle = await create()
      store = await handle.open()
    })
    after(async () => {
      await store.close()
      await handle.destroy()
    })

    it('stores each key once, with its notification as given', async () => {
      assert.equal(await store.enqueue([
        { key: 'k1-slack', channel: 'slack', notification: note('one'), created_at: at(1) },
        { key: 'k1-email', channel: 'email', notification: note('one'), created_at: at(1) },
        { key: 'k2-slack', channel: 'slack', notification: note('two'), created_at: at(2) },
      ]), 3)
      assert.equal(await store.enqueue([{ key: 'k1-slack', channel: 'slack', notification: note('changed'), created_at: at(3) }]), 0)
      assert.deepEqual(await store.undelivered('slack', 10), [
        { key: 'k1-slack', channel: 'slack', notification: note('one'), created_at: at(1), attempts: 0, next_attempt_at: at(1), last_error: null, delivered_at: null },
        { key: 'k2-slack', channel: 'slack', notification: note('two'), created_at: at(2), attempts: 0, next_attempt_at: at(2), last_error: null, delivered_at: null },
      ])
      assert.deepEqual((await store.undelivered('slack', 1)).map((e) => e.key), ['k1-slack'])
      assert.deepEqual(await store.undelivered('discord', 10), [])
    })

    it('counts failures with the next attempt, and takes delivered entries out of the waiting list once', async () => {
      await store.markFailed('k1-slack', 'TT_ERR_NOTIFY_DELIVERY: HTTP 503', at(5))
      await store.markFailed('k1-slack', 'TT_ERR_NOTIFY_DELIVERY: ECONNREFUSED', at(9))
      const [first] = await store.undelivered('slack', 1)
      assert.deepEqual([first!.attempts, first!.last_error, first!.next_attempt_at], [2, 'TT_ERR_NOTIFY_DELIVERY: ECONNREFUSED', at(9)])
      assert.deepEqual(await store.outboxCounts(), [{ channel: 'email', pending: 1, failing: 0 }, { channel: 'slack', pending: 2, failing: 1 }])
      await store.markDelivered('k1-slack', at(10))
      await store.markDelivered('k1-slack', at(11))
      await store.markFailed('k1-slack', 'late', at(12))
      assert.deepEqual((await store.undelivered('slack', 10)).map((e) => e.key), ['k2-slack'])
      const all = await store.listOutbox({ undeliveredOnly: false, limit: 10 })
      assert.deepEqual(all.map((e) => e.key), ['k2-slack', 'k1-email', 'k1-slack'])
      assert.deepEqual([all[2]!.delivered_at, all[2]!.attempts], [at(10), 2])
      assert.deepEqual((await store.listOutbox({ undeliveredOnly: true, limit: 10 })).map((e) => e.key), ['k2-slack', 'k1-email'])
    })

    it('keeps everything across a reopening', async () => {
      const before = await store.listOutbox({ undeliveredOnly: false, limit: 10 })
      await store.close()
      store = await handle.open()
      assert.deepEqual(await store.listOutbox({ undeliveredOnly: false, limit: 10 }), before)
    })
  })
}
