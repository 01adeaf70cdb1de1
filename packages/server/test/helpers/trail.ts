/** Building trails in-process and reading them back, for tests that drive the CLI. */
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import Database from 'better-sqlite3'
import { type AppendResult, type Clock, type StoredEvent, systemClock, validateBatch } from '@tradetrail/core'
import { type Hooks, tempDir } from '@tradetrail/test-support'
import { loadConfig } from '../../src/config.ts'
import { SqliteEventStore } from '../../src/stores/sqlite/sqlite-event-store.ts'
import { DATABASE_FILE, type Trail, type TrailRole, openTrail } from '../../src/trail/open-trail.ts'

export interface WriteTrailOptions {
  clock?: Clock
  checkpointEvery?: number
}

export interface OpenTestTrailOptions extends WriteTrailOptions {
  role?: Exclude<TrailRole, 'collector'>
  strict?: boolean
  onWarning?: (message: string) => void
}

/** The trail of `dataDir` through the composition root, as a CLI command opens it (warnings dropped unless asked for). */
export function openTestTrail(dataDir: string, options: OpenTestTrailOptions = {}): Promise<Trail> {
  const config = loadConfig({ env: {}, flags: { dataDir, strict: options.strict, checkpointEvery: options.checkpointEvery === undefined ? undefined : String(options.checkpointEvery) } })
  return openTrail(config, { role: options.role ?? 'command', clock: options.clock, onWarning: options.onWarning ?? (() => {}) })
}

/** Appends each batch (wire-format events) through the composition root, as the CLI and collector do, then closes. */
export async function writeTrail(dataDir: string, batches: ReadonlyArray<ReadonlyArray<Record<string, unknown>>>, options: WriteTrailOptions = {}): Promise<AppendResult[]> {
  const clock = options.clock ?? systemClock
  const trail = await openTestTrail(dataDir, options)
  const results: AppendResult[] = []
  try {
    for (const batch of batches) results.push(await trail.submit(validateBatch([...batch], { nowMicros: clock.nowMicros() }), 'test'))
  } finally {
    await trail.close()
  }
  return results
}

/** A copy of a prepared data directory that the calling test owns. */
export function copyDataDir(owner: Hooks, from: string, label = 'tt-copy'): string {
  const dir = join(tempDir(owner, label), 'data')
  cpSync(from, dir, { recursive: true })
  return dir
}

/** Every stored event in seq order, read through the store (the same rows `query --json` shows). */
export async function storedEvents(dataDir: string): Promise<StoredEvent[]> {
  const store = new SqliteEventStore({ path: join(dataDir, DATABASE_FILE), readonly: true })
  try {
    const events: StoredEvent[] = []
    for await (const chunk of store.scan({})) events.push(...chunk)
    return events
  } finally {
    await store.close()
  }
}

export interface TrailSnapshot {
  /** Files under the data directory (SQLite's transient -wal/-shm left out). */
  files: string[]
  /** Raw rows of every table that holds the trail. */
  events: unknown[]
  checkpoints: unknown[]
  anchors: unknown[]
}

/**
 * Everything a command could have changed in a data directory: its files and the raw rows of
 * events, checkpoints and anchors (a superset of what `query --json` prints). A directory that
 * does not exist snapshots as empty.
 */
export function snapshotTrail(dataDir: string): TrailSnapshot {
  const snapshot: TrailSnapshot = { files: [], events: [], checkpoints: [], anchors: [] }
  if (!existsSync(dataDir)) return snapshot
  if (!statSync(dataDir).isDirectory()) {
    snapshot.files = [`(a ${statSync(dataDir).size}-byte file)`]
    return snapshot
  }
  snapshot.files = listFiles(dataDir).filter((f) => !/-(wal|shm|journal)$/.test(f))
  const dbPath = join(dataDir, DATABASE_FILE)
  if (!existsSync(dbPath)) return snapshot
  const db = new Database(dbPath, { readonly: true, fileMustExist: true })
  try {
    snapshot.events = db.prepare('SELECT * FROM events ORDER BY seq').all()
    snapshot.checkpoints = db.prepare('SELECT * FROM checkpoints ORDER BY seq').all()
    snapshot.anchors = db.prepare('SELECT * FROM anchors ORDER BY seq').all()
  } finally {
    db.close()
  }
  return snapshot
}

function listFiles(root: string, dir = root): string[] {
  const out: string[] = []
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) out.push(relative(root, path) + '/', ...listFiles(root, path))
    else out.push(relative(root, path))
  }
  return out
}
