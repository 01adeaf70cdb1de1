/** AlertStore in the trail's SQLite file (its own connection, so the CLI can acknowledge offline). */
import type Database from 'better-sqlite3'
import type { Alert, AlertDraft, AlertState, AlertStore, Raised } from '@tradetrail/core'
import { translated } from './sqlite-errors.ts'
import { hasTable, openSideConnection } from './sqlite-side-connection.ts'

const COLUMNS = 'id, rule, key, severity, title, message, project, seq, last_seq, count, state, opened_at, last_seen_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by'

export class SqliteAlertStore implements AlertStore {
  readonly #db: Database.Database
  /** A read-only copy of a trail older than schema 6 has no alerts table: it has no alerts either. */
  readonly #hasTable: boolean

  constructor(path: string, options: { readonly?: boolean } = {}) {
    this.#db = openSideConnection(path, { readonly: options.readonly, cacheKiB: 512 })
    this.#hasTable = hasTable(this.#db, 'alerts')
  }

  async raise(d: AlertDraft, id: string, at: string): Promise<Raised> {
    return translated(() => this.#db.transaction((): Raised => {
      if (d.seq !== null) {
        const seen = this.#db.prepare(`SELECT ${COLUMNS} FROM alerts WHERE key = ? AND last_seq >= ? ORDER BY rowid DESC LIMIT 1`).get(d.key, d.seq) as Alert | undefined
        if (seen !== undefined) return { alert: seen, outcome: 'seen' }
      }
      const counted = this.#db.prepare(`UPDATE alerts SET count = count + 1, last_seen_at = ?, last_seq = coalesce(?, last_seq)
        WHERE key = ? AND state <> 'resolved' RETURNING ${COLUMNS}`).get(at, d.seq, d.key) as Alert | undefined
      if (counted !== undefined) return { alert: counted, outcome: 'counted' }
      const opened = this.#db.prepare(`INSERT INTO alerts (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 'open', ?, ?, NULL, NULL, NULL, NULL) RETURNING ${COLUMNS}`)
        .get(id, d.rule, d.key, d.severity, d.title, d.message, d.project, d.seq, d.seq, at, at) as Alert
      return { alert: opened, outcome: 'opened' }
    }).immediate())
  }

  async findAlert(id: string): Promise<Alert | undefined> {
    if (!this.#hasTable) return undefined
    return translated(() => this.#db.prepare(`SELECT ${COLUMNS} FROM alerts WHERE id = ?`).get(id)) as Alert | undefined
  }

  async listAlerts(options: { states?: readonly AlertState[]; limit: number }): Promise<Alert[]> {
    if (!this.#hasTable) return []
    const states = options.states ?? []
    const where = states.length === 0 ? '' : `WHERE state IN (${states.map(() => '?').join(', ')})`
    return translated(() => this.#db.prepare(`SELECT ${COLUMNS} FROM alerts ${where} ORDER BY rowid DESC LIMIT ?`).all(...states, options.limit)) as Alert[]
  }

  async acknowledgeAlert(id: string, at: string, by: string): Promise<Alert | undefined> {
    return this.#move(id, `state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ? WHERE id = ? AND state = 'open'`, at, by)
  }

  async resolveAlert(id: string, at: string, by: string): Promise<Alert | undefined> {
    return this.#move(id, `state = 'resolved', resolved_at = ?, resolved_by = ? WHERE id = ? AND state <> 'resolved'`, at, by)
  }

  #move(id: string, set: string, at: string, by: string): Promise<Alert | undefined> {
    return translated(() => {
      this.#db.prepare(`UPDATE alerts SET ${set}`).run(at, by, id)
      return this.findAlert(id)
    })
  }

  async close(): Promise<void> {
    this.#db.close()
  }
}
