/** HoldStore in the trail's SQLite file (its own connection, so the CLI can place holds offline). */
import type Database from 'better-sqlite3'
import type { HoldStore, LegalHold } from '@tradetrail/core'
import { translated } from './sqlite-errors.ts'
import { hasTable, openSideConnection } from './sqlite-side-connection.ts'

const COLUMNS = 'id, project, from_time AS "from", to_time AS "to", reason, placed_at, placed_by, released_at, released_by, release_reason'

export class SqliteHoldStore implements HoldStore {
  readonly #db: Database.Database
  /** A read-only copy of a trail older than schema 4 has no holds table: it has no holds either. */
  readonly #hasTable: boolean

  constructor(path: string, options: { readonly?: boolean } = {}) {
    this.#db = openSideConnection(path, { readonly: options.readonly, cacheKiB: 256 })
    this.#hasTable = hasTable(this.#db, 'holds')
  }

  async placeHold(h: LegalHold): Promise<void> {
    translated(() => this.#db.prepare(`INSERT INTO holds (id, project, from_time, to_time, reason, placed_at, placed_by, released_at, released_by, release_reason)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(h.id, h.project, h.from, h.to, h.reason, h.placed_at, h.placed_by, h.released_at, h.released_by, h.release_reason))
  }

  async releaseHold(id: string, at: string, by: string, reason: string): Promise<LegalHold | undefined> {
    return translated(() => {
      this.#db.prepare('UPDATE holds SET released_at = ?, released_by = ?, release_reason = ? WHERE id = ? AND released_at IS NULL').run(at, by, reason, id)
      return this.#db.prepare(`SELECT ${COLUMNS} FROM holds WHERE id = ?`).get(id) as LegalHold | undefined
    })
  }

  async listHolds(): Promise<LegalHold[]> {
    if (!this.#hasTable) return []
    return translated(() => this.#db.prepare(`SELECT ${COLUMNS} FROM holds ORDER BY rowid`).all()) as LegalHold[]
  }

  async close(): Promise<void> {
    this.#db.close()
  }
}
