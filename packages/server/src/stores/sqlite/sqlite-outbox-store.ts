/** OutboxStore in the trail's SQLite file (its own connection: the collector sends, the CLI lists). */
import type Database from 'better-sqlite3'
import type { OutboxEntry, OutboxStore } from '@tradetrail/core'
import { translated } from './sqlite-errors.ts'
import { hasTable, openSideConnection } from './sqlite-side-connection.ts'

const COLUMNS = 'key, channel, notification, created_at, attempts, next_attempt_at, last_error, delivered_at'

type Row = Omit<OutboxEntry, 'notification'> & { notification: string }

const entry = (row: Row): OutboxEntry => ({ ...row, notification: JSON.parse(row.notification) })

export class SqliteOutboxStore implements OutboxStore {
  readonly #db: Database.Database
  /** A read-only copy of a trail older than schema 6 has no outbox. */
  readonly #hasTable: boolean

  constructor(path: string, options: { readonly?: boolean } = {}) {
    this.#db = openSideConnection(path, { readonly: options.readonly, cacheKiB: 512 })
    this.#hasTable = hasTable(this.#db, 'outbox')
  }

  async enqueue(entries: ReadonlyArray<Pick<OutboxEntry, 'key' | 'channel' | 'notification' | 'created_at'>>): Promise<number> {
    return translated(() => this.#db.transaction(() => {
      const insert = this.#db.prepare(`INSERT INTO outbox (key, channel, notification, created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`)
      let added = 0
      for (const e of entries) added += insert.run(e.key, e.channel, JSON.stringify(e.notification), e.created_at, e.created_at).changes
      return added
    }).immediate())
  }

  async undelivered(channel: string, limit: number): Promise<OutboxEntry[]> {
    if (!this.#hasTable) return []
    const rows = translated(() => this.#db.prepare(`SELECT ${COLUMNS} FROM outbox WHERE channel = ? AND delivered_at IS NULL ORDER BY created_at, rowid LIMIT ?`).all(channel, limit)) as Row[]
    return rows.map(entry)
  }

  async listOutbox(options: { undeliveredOnly: boolean; limit: number }): Promise<OutboxEntry[]> {
    if (!this.#hasTable) return []
    const where = options.undeliveredOnly ? 'WHERE delivered_at IS NULL' : ''
    const rows = translated(() => this.#db.prepare(`SELECT ${COLUMNS} FROM outbox ${where} ORDER BY rowid DESC LIMIT ?`).all(options.limit)) as Row[]
    return rows.map(entry)
  }

  async outboxCounts(): Promise<Array<{ channel: string; pending: number; failing: number }>> {
    if (!this.#hasTable) return []
    return translated(() => this.#db.prepare(`SELECT channel, count(*) AS pending, count(*) FILTER (WHERE attempts > 0) AS failing
      FROM outbox WHERE delivered_at IS NULL GROUP BY channel ORDER BY channel`).all()) as Array<{ channel: string; pending: number; failing: number }>
  }

  async markDelivered(key: string, at: string): Promise<void> {
    translated(() => this.#db.prepare('UPDATE outbox SET delivered_at = ? WHERE key = ? AND delivered_at IS NULL').run(at, key))
  }

  async markFailed(key: string, error: string, nextAttemptAt: string): Promise<void> {
    translated(() => this.#db.prepare('UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE key = ? AND delivered_at IS NULL').run(error, nextAttemptAt, key))
  }

  async close(): Promise<void> {
    this.#db.close()
  }
}
