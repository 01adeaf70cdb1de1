/**
 * The TokenStore contract: what every adapter must do with tokens (stored hashed, listed
 * without secrets, revoked once and for good, counted), run by token-store-contract.test.ts.
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
    created_at: `2025-12-17T21:00:0${id.slice(-1)}.000001Z`, revoked_at: null, secret_hash: Buffer.alloc(32, id.charCodeAt(id.length - 1)), ...extra,
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
      assert.deepEqual(listed[1], { id: 'a00000000002', scope: 'read', projects: [], privileges: [], label: null, created_at: '2025-12-17T21:00:02.000001Z', revoked_at: null })
    })

    it('refuses a second token with the same id', async () => {
      await assert.rejects(store.addToken(token('a00000000001')))
    })

    it('revokes once: the first time is kept, an unknown id says false', async () => {
      assert.equal(await store.countActiveTokens(), 2)
      assert.equal(await store.revokeToken('a00000000001', '2025-12-18T00:00:00.000001Z'), true)
      assert.equal(await store.revokeToken('a00000000001', '2025-12-19T00:00:00.000001Z'), true)
      assert.equal((await store.findToken('a00000000001'))?.revoked_at, '2025-12-18T00:00:00.000001Z')
      assert.equal(await store.revokeToken('ffffffffffff', '2025-12-18T00:00:00.000001Z'), false)
      assert.equal(await store.countActiveTokens(), 1)
    })

    it('keeps everything across a reopen', async () => {
      await store.close()
      store = await handle.open()
      assert.equal((await store.listTokens()).length, 2)
      assert.equal((await store.findToken('a00000000001'))?.revoked_at, '2025-12-18T00:00:00.000001Z')
    })
  })
}
