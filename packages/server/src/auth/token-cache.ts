/**
 * Tokens kept in memory after their first use, so an authenticated request costs no database
 * read. A revocation or rotation still takes effect at once: through this collector it drops
 * the entry itself; through the CLI or another collector, the `token_revoked` or `token_rotated`
 * event it records reaches this process over the commit feed within 100 ms (collector/serve.ts)
 * and drops it there. An expiry needs nothing from the cache: authenticate() compares each
 * request's time with the record's `expires_at`, cached or not.
 */
import type { StoredToken, TokenInfo, TokenStore } from '@tradetrail/core'

export class TokenCache implements TokenStore {
  readonly #store: TokenStore
  readonly #cache = new Map<string, StoredToken>()
  readonly #max: number

  constructor(store: TokenStore, options: { maxEntries?: number } = {}) {
    this.#store = store
    this.#max = options.maxEntries ?? 10_000
  }

  async findToken(id: string): Promise<StoredToken | undefined> {
    const cached = this.#cache.get(id)
    if (cached !== undefined) return cached
    const found = await this.#store.findToken(id)
    // Unknown ids are not cached: a flood of made-up tokens must not push real ones out.
    if (found !== undefined) {
      if (this.#cache.size >= this.#max) this.#cache.delete(this.#cache.keys().next().value!)
      this.#cache.set(id, found)
    }
    return found
  }

  /** Forgets `id`, so its next use reads the store again. */
  invalidate(id: string): void {
    this.#cache.delete(id)
  }

  addToken(token: StoredToken): Promise<void> {
    this.#cache.delete(token.id)
    return this.#store.addToken(token)
  }

  listTokens(): Promise<TokenInfo[]> {
    return this.#store.listTokens()
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    this.#cache.delete(id)
    return this.#store.revokeToken(id, at)
  }

  async rotateToken(id: string, replacement: StoredToken, until: string): Promise<TokenInfo | undefined> {
    this.#cache.delete(id)
    return this.#store.rotateToken(id, replacement, until)
  }

  countActiveTokens(at: string): Promise<number> {
    return this.#store.countActiveTokens(at)
  }
}
