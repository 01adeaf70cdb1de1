/**
 * The TokenStore contract: what every adapter must do with tokens (stored hashed, listed
 * without secrets, revoked once and for good, expiring, rotated in one step, counted), run by
 * token-store-contract.test.ts.
 */
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { StoredToken, TokenStore } from '@tradetrail/core'

export interface TokenStoreHandle {
  open(): Promise<TokenStore & { close(): Promise<void> }>
  destroy(): Promise<void>
}

function token(id: string, extra: Partial<StoredToken> = {}): StoredToken {
  return {
    id, scope: 'ingest', projects: ['AlphaBot', 'BetaBot'], privileges: ['execute_trade'], label: `token ${id}`,
    created_at: `2025-12-17T21:00:0${id.slice(-1)}.000001Z`, revoked_at: null, expires_at: null, replaced_by: null,
    secret_hash: Buffer.alloc(32, id.charCodeAt(id.length - 1)), ...extra,
  }
}

export function runTokenStoreContract(name: string, create: () => Promise<TokenStoreHandle>): void {
  describe(`TokenStore contract: ${name}`, () => {
    let handle: TokenStoreHandle
    let store: TokenStore & { close(): Promise<void> }
    before(async () => {
      handle = await create()
      store = await handle.open()
    })
    after(async () => {
      await store.close()
      await handle.destroy()
    })

    it('stores a token and finds it by id with every field, the secret only as its hash', async () => {
      const t = token('a00000000001')
      await store.addToken(t)
      assert.deepEqual(await store.findToken(t.id), t)
      assert.equal(await store.findToken('ffffffffffff'), undefined)
    })

    it('lists tokens by creation without their secret hashes', async () => {
      await store.addToken(token('a00000000002', { scope: 'read', projects: [], privileges: [], label: null }))
      const listed = await store.listTokens()
      assert.deepEqual(listed.map((t) => t.id), ['a00000000001', 'a00000000002'])
      for (const t of listed) assert.equal('secret_hash' in t, false, `token ${t.id} is listed without its secret hash`)
      assert.deepEqual(listed[1], {
        id: 'a00000000002', scope: 'read', projects: [], privileges: [], label: null, created_at: '2025-12-17T21:00:02.000001Z', revoked_at: null, expires_at: null, replaced_by: null,
      })
    })

    it('refuses a second token with the same id', async () => {
      await assert.rejects(store.addToken(token('a00000000001')))
    })

    it('revokes once: the first time is kept, an unknown id says false', async () => {
      assert.equal(await store.countActiveTokens('2025-12-18T00:00:00.000000Z'), 2)
      assert.equal(await store.revokeToken('a00000000001', '2025-12-18T00:00:00.000001Z'), true)
      assert.equal(await store.revokeToken('a00000000001', '2025-12-19T00:00:00.000001Z'), true)
      assert.equal((await store.findToken('a00000000001'))?.revoked_at, '2025-12-18T00:00:00.000001Z')
      assert.equal(await store.revokeToken('ffffffffffff', '2025-12-18T00:00:00.000001Z'), false)
      assert.equal(await store.countActiveTokens('2025-12-18T00:00:00.000000Z'), 1)
    })

    it('keeps an expiry and a read token\'s projects as given', async () => {
      const expiring = token('a00000000003', { scope: 'read', projects: ['DeskA', 'tradetrail'], privileges: [], expires_at: '2026-01-31T00:00:00.000000Z' })
      await store.addToken(expiring)
      assert.deepEqual(await store.findToken(expiring.id), expiring)
      assert.deepEqual((await store.listTokens()).find((t) => t.id === expiring.id)?.expires_at, '2026-01-31T00:00:00.000000Z')
      const before = await store.countActiveTokens('2026-01-30T23:59:59.999999Z')
      assert.equal(await store.countActiveTokens('2026-01-31T00:00:00.000000Z'), before - 1, 'a token no longer counts as active from its expiry on')
    })

    const AT = '2025-12-20T00:00:00.000001Z'
    const GRACE_END = '2025-12-21T00:00:00.000001Z'

    it('rotates in one step: the successor is stored, the old token names it and expires at the end of the grace period', async () => {
      const old = token('b00000000001')
      await store.addToken(old)
      const successor = token('b00000000002', { created_at: AT })
      const after = await store.rotateToken(old.id, successor, GRACE_END)
      const { secret_hash: _hash, ...oldInfo } = old
      assert.deepEqual(after, { ...oldInfo, replaced_by: successor.id, expires_at: GRACE_END })
      assert.deepEqual(await store.findToken(successor.id), successor)
      assert.deepEqual(await store.findToken(old.id), { ...old, replaced_by: successor.id, expires_at: GRACE_END })
    })

    it('keeps an expiry that comes before the end of the grace period', async () => {
      const soon = '2025-12-20T06:00:00.000000Z'
      await store.addToken(token('b00000000003', { expires_at: soon }))
      const after = await store.rotateToken('b00000000003', token('b00000000004', { created_at: AT }), GRACE_END)
      assert.deepEqual([after?.replaced_by, after?.expires_at], ['b00000000004', soon])
    })

    it('rotates only an active token: a revoked, expired or already rotated one is returned unchanged, and no successor is stored', async () => {
      await store.addToken(token('c00000000001', { revoked_at: '2025-12-19T00:00:00.000001Z' }))
      await store.addToken(token('c00000000002', { expires_at: AT })) // expired at the very instant of the rotation
      const cases: Array<[string, keyof StoredToken, unknown]> = [
        ['c00000000001', 'revoked_at', '2025-12-19T00:00:00.000001Z'], ['c00000000002', 'expires_at', AT], ['b00000000001', 'replaced_by', 'b00000000002'],
      ]
      for (const [id, field, value] of cases) {
        const before = await store.findToken(id)
        const successor = token(`d${id.slice(1)}`, { created_at: AT })
        const after = await store.rotateToken(id, successor, GRACE_END)
        assert.equal(after?.[field as keyof typeof after], value, `${id}: ${field}`)
        const { secret_hash: _hash, ...unchanged } = before!
        assert.deepEqual(after, unchanged, `${id} is unchanged`)
        assert.equal(await store.findToken(successor.id), undefined, `no successor stored for ${id}`)
      }
      assert.equal(await store.rotateToken('ffffffffffff', token('e00000000001', { created_at: AT }), GRACE_END), undefined)
      assert.equal(await store.findToken('e00000000001'), undefined)
    })

    it('keeps everything across a reopen', async () => {
      const listed = await store.listTokens()
      await store.close()
      store = await handle.open()
      assert.deepEqual(await store.listTokens(), listed)
      assert.equal((await store.findToken('a00000000001'))?.revoked_at, '2025-12-18T00:00:00.000001Z')
      assert.equal((await store.findToken('b00000000001'))?.replaced_by, 'b00000000002')
    })
  })
}
