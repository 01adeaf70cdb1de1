/**
 * The connection each small store of the trail's SQLite file opens beside the event store's
 * (tokens, legal holds, alerts, the outbox): its own, so the CLI can use them offline and the
 * collector's writer thread never waits on them for more than one short write.
 */
import Database from 'better-sqlite3'
import { translated } from './sqlite-errors.ts'
import { migrate } from './sqlite-schema.ts'

/**
 * Opens `path`: a writer upgrades the schema first; a reader (`readonly`) opens what is there.
 * `cacheKiB` is small: these tables hold rows by the hundred, not the events' millions.
 */
export function openSideConnection(path: string, options: { readonly?: boolean; cacheKiB: number }): Database.Database {
  const readonly = options.readonly ?? false
  const db = translated(() => new Database(path, { readonly, fileMustExist: readonly }))
  translated(() => {
    db.pragma('busy_timeout = 10000')
    if (!readonly) {
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      migrate(db)
    }
    db.pragma(`cache_size = -${options.cacheKiB}`)
  })
  return db
}

/** Whether the database has `table`: a read-only copy of an older trail may lack a newer one. */
export function hasTable(db: Database.Database, table: string): boolean {
  return translated(() => db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(table) !== undefined)
}
