/** JobStateStore in the trail's SQLite file (table `jobs`): the scheduler's memory survives restarts. */
import Database from 'better-sqlite3'
import type { JobStateStore } from '@tradetrail/core'
import { translated } from './sqlite-errors.ts'

export class SqliteJobStateStore implements JobStateStore {
  readonly #db: Database.Database

  /** `path` names a database the schema was already applied to (the writer opens it first). */
  constructor(path: string) {
    this.#db = translated(() => new Database(path, { fileMustExist: true }))
    translated(() => this.#db.pragma('busy_timeout = 10000'))
  }

  async lastRun(name: string): Promise<string | undefined> {
    return translated(() => this.#db.prepare('SELECT last_run FROM jobs WHERE name = ?').pluck().get(name)) as string | undefined
  }

  async setLastRun(name: string, periodKey: string): Promise<void> {
    translated(() => this.#db.prepare('INSERT INTO jobs (name, last_run) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run').run(name, periodKey))
  }

  async close(): Promise<void> {
    this.#db.close()
  }
}
