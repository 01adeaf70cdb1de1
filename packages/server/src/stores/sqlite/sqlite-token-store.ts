/** TokenStore in the trail's SQLite file (its own connection, so the CLI can manage tokens offline). */
import type Database from 'better-sqlite3'
import type { StoredToken, TokenInfo, TokenStore } from '@tradetrail/core'
import { translated } from './sqlite-errors.ts'
import { openSideConnection } from './sqlite-side-connection.ts'

type Row = Omit<StoredToken, 'projects' | 'privileges'> & { projects: string; privileges: string }

const COLUMNS = 'id, scope, projects, privileges, label, created_at, revoked_at, expires_at, replaced_by'

function toInfo(row: Omit<Row, 'secret_hash'>): TokenInfo {
  return { ...row, projects: JSON.parse(row.projects), privileges: JSON.parse(row.privileges) }
}

export class SqliteTokenStore implements TokenStore {
  readonly #db: Database.Database
  /** Runs on every authenticated request not yet cached: prepared once, at its first use (a reader may open an older schema it never asks). */
  #find: Database.Statement | undefined

  constructor(path: string, options: { readonly?: boolean } = {}) {
    // A few token rows: the default 2 MB, or the events' 64 MB, would be waste.
    this.#db = openSideConnection(path, { readonly: options.readonly, cacheKiB: 1024 })
  }

  async addToken(t: StoredToken): Promise<void> {
    translated(() => this.#insert(t))
  }

  #insert(t: StoredToken): void {
    this.#db.prepare(`INSERT INTO tokens (${COLUMNS}, secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
      t.id, t.scope, JSON.stringify(t.projects), JSON.stringify(t.privileges), t.label, t.created_at, t.revoked_at, t.expires_at, t.replaced_by, t.secret_hash)
  }

  async findToken(id: string): Promise<StoredToken | undefined> {
    const row = translated(() => (this.#find ??= this.#db.prepare(`SELECT ${COLUMNS}, secret_hash FROM tokens WHERE id = ?`)).get(id)) as Row | undefined
    return row && { ...toInfo(row), secret_hash: row.secret_hash }
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (translated(() => this.#db.prepare(`SELECT ${COLUMNS} FROM tokens ORDER BY created_at, id`).all()) as Row[]).map(toInfo)
  }

  async revokeToken(id: string, at: string): Promise<boolean> {
    return translated(() => {
      const found = this.#db.prepare('SELECT revoked_at FROM tokens WHERE id = ?').get(id) as { revoked_at: string | null } | undefined
      if (found === undefined) return false
      if (found.revoked_at === null) this.#db.prepare('UPDATE tokens SET revoked_at = ? WHERE id = ?').run(at, id)
      return true
    })
  }

  async rotateToken(id: string, replacement: StoredToken, until: string): Promise<TokenInfo | undefined> {
    const get = (): Row | undefined => this.#db.prepare(`SELECT ${COLUMNS} FROM tokens WHERE id = ?`).get(id) as Row | undefined
    // Immediate: the check and the change are one step also against another process rotating the same token.
    const row = translated(() => this.#db.transaction(() => {
      const old = get()
      const at = replacement.created_at
      if (old === undefined || old.revoked_at !== null || old.replaced_by !== null || (old.expires_at !== null && old.expires_at <= at)) return old
      this.#insert(replacement)
      this.#db.prepare('UPDATE tokens SET replaced_by = ?, expires_at = min(coalesce(expires_at, ?), ?) WHERE id = ?').run(replacement.id, until, until, id)
      return get()
    }).immediate())
    return row && toInfo(row)
  }

  async countActiveTokens(at: string): Promise<number> {
    return translated(() => this.#db.prepare('SELECT count(*) FROM tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)').pluck().get(at)) as number
  }

  async close(): Promise<void> {
    this.#db.close()
  }
}
