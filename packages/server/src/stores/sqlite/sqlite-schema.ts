/**
 * The SQLite layout, versioned in `meta.schema_version`. Events are append-only:
 * triggers refuse UPDATE, and DELETE except inside a retention purge. Raw SQL can drop
 * the triggers, which is why the chain hash, not the triggers, is the guarantee.
 *
 * Version 2 keeps each event as its canonical JSON text (`body`, the exact bytes the chain
 * hash covers) plus the few columns filters and indexes need. Version 1 spread the event over
 * 15 columns; rebuilding the hashed text from them cost more than the insert itself, and
 * verify had to rebuild it again (docs/architecture.md, "Storage decisions").
 *
 * Later versions are steps (UPGRADES), each one function taking the database one version up in
 * its own transaction; a new database is created at version 2 and takes every step, so each
 * change is written once and a trail of any earlier version upgrades in place.
 */
import type Database from 'better-sqlite3'
import { ERR_STORE_SCHEMA, SEVERITIES, canonicalEventText } from '@tradetrail/core'


const EVENTS_TABLE = (name: string): string => `
CREATE TABLE ${name} (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  ts_key TEXT NOT NULL,
  project TEXT NOT NULL,
  type TEXT NOT NULL,
  severity INTEGER NOT NULL,
  source TEXT,
  body TEXT NOT NULL,
  hash BLOB NOT NULL
) STRICT;`

const EVENTS_INDEXES = `
CREATE UNIQUE INDEX events_id ON events (id);
-- One secondary index besides id: each costs ~20% of the append rate. Time filters
-- without a project walk seq backwards, which is quick for the recent windows people ask for.
CREATE INDEX events_project_ts ON events (project, ts_key);
CREATE TRIGGER events_append_only BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_purge_only BEFORE DELETE ON events
WHEN (SELECT value FROM meta WHERE key = 'purging') IS NULL
BEGIN SELECT RAISE(ABORT, 'events are append-only; retention purges whole ranges'); END;
`

const V2 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
${EVENTS_TABLE('events')}
${EVENTS_INDEXES}
-- Full-text index over what people search for. Contentless: the text lives in events
-- once; contentless_delete lets retention drop whole ranges.
CREATE VIRTUAL TABLE events_fts USING fts5 (
  message, source, actor, data,
  content = '', contentless_delete = 1
);
-- Merge index segments 16 at a time instead of 4: appends got ~30% faster in
-- bench/store-append.bench.ts, searches stay well inside their budget (bench/query.bench.ts).
INSERT INTO events_fts (events_fts, rank) VALUES ('automerge', 16);

CREATE TABLE checkpoints (
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  time TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL
) STRICT;

CREATE TABLE anchors (
  seq INTEGER PRIMARY KEY,
  hash TEXT NOT NULL,
  time TEXT NOT NULL,
  key_id TEXT NOT NULL,
  signature TEXT NOT NULL,
  purged INTEGER NOT NULL
) STRICT;

CREATE TABLE tokens (
  id TEXT PRIMARY KEY,
  secret_hash BLOB NOT NULL,
  scope TEXT NOT NULL CHECK (scope IN ('ingest', 'read', 'admin')),
  projects TEXT NOT NULL,
  privileges TEXT NOT NULL,
  label TEXT,
  created_at TEXT NOT NULL,
  revoked_at TEXT
) STRICT;
${V2_ADDITIONS()}
`

/** Tables version 2 adds to a version 1 database as they are. */
function V2_ADDITIONS(): string {
  return `
-- Where each named consumer of the commit feed (notifier, bus bridge) got to.
CREATE TABLE cursors (name TEXT PRIMARY KEY, seq INTEGER NOT NULL) STRICT;
-- The last period each scheduled job completed (scheduler/scheduler.ts).
CREATE TABLE jobs (name TEXT PRIMARY KEY, last_run TEXT NOT NULL) STRICT;
`
}

/** Version 2 → 3: a token may expire, and a rotated token names the token that replaced it. */
function tokenExpiryAndRotation(db: Database.Database): void {
  db.exec('ALTER TABLE tokens ADD COLUMN expires_at TEXT; ALTER TABLE tokens ADD COLUMN replaced_by TEXT;')
}

/**
 * Version 3 → 4: each anchor records the policy its purge kept (NULL on anchors written before,
 * which verify treats as legacy anchors), and legal holds, which purges must respect. Holds are
 * never deleted: a release sets `released_at`.
 */
function retentionPolicyAndHolds(db: Database.Database): void {
  db.exec(`
ALTER TABLE anchors ADD COLUMN newest_received_at TEXT;
ALTER TABLE anchors ADD COLUMN min_retention_ms INTEGER;
ALTER TABLE anchors ADD COLUMN retention_ms INTEGER;
ALTER TABLE anchors ADD COLUMN below_minimum TEXT;
CREATE TABLE holds (
  id TEXT PRIMARY KEY,
  project TEXT,
  from_time TEXT,
  to_time TEXT,
  reason TEXT NOT NULL,
  placed_at TEXT NOT NULL,
  placed_by TEXT NOT NULL,
  released_at TEXT,
  released_by TEXT,
  release_reason TEXT,
  CHECK ((project IS NULL) = (from_time IS NOT NULL AND to_time IS NOT NULL))
) STRICT;`)
}

/**
 * Version 4 → 5: the full-text index merges its segments only in small steps. With `automerge`
 * at 16, FTS5's default `crisismerge` (also 16) was reached before any incremental merge ran, and
 * merged a whole level in one transaction: a 0.5 s stall of the writer thread, and of every
 * commit queued behind it (bench/collector-http.bench.ts, ingest p99 ~420 ms → ~90 ms). FTS5 takes
 * these settings as literals only.
 */
function searchIndexMergesInSteps(db: Database.Database): void {
  db.exec("INSERT INTO events_fts (events_fts, rank) VALUES ('crisismerge', 64)")
}

/**
 * Version 5 → 6: alerts and the outbox of notifications (notify/). At most one alert per key is
 * unresolved (the index says so); the outbox keeps every notification until its channel took it.
 */
function alertsAndOutbox(db: Database.Database): void {
  db.exec(`
CREATE TABLE alerts (
  id TEXT PRIMARY KEY,
  rule TEXT NOT NULL,
  key TEXT NOT NULL,
  severity TEXT NOT NULL,
  title TEXT NOT NULL,
  message TEXT NOT NULL,
  project TEXT,
  seq INTEGER,
  last_seq INTEGER,
  count INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
  opened_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  acknowledged_at TEXT,
  acknowledged_by TEXT,
  resolved_at TEXT,
  resolved_by TEXT
) STRICT;
CREATE INDEX alerts_key ON alerts (key, last_seq);
CREATE UNIQUE INDEX alerts_unresolved_key ON alerts (key) WHERE state <> 'resolved';
CREATE TABLE outbox (
  key TEXT PRIMARY KEY,
  channel TEXT NOT NULL,
  notification TEXT NOT NULL,
  created_at TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT,
  delivered_at TEXT
) STRICT;
CREATE INDEX outbox_undelivered ON outbox (channel, created_at) WHERE delivered_at IS NULL;`)
}

/** The steps after version 2: UPGRADES[i] takes a database from version 2 + i to 3 + i. */
const UPGRADES: ReadonlyArray<(db: Database.Database) => void> = [tokenExpiryAndRotation, retentionPolicyAndHolds, searchIndexMergesInSteps, alertsAndOutbox]

export const SCHEMA_VERSION = 2 + UPGRADES.length

/** Creates the schema on a new database, or upgrades / checks an existing one. */
export function migrate(db: Database.Database): void {
  const hasMeta = (): boolean => db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'").get() !== undefined
  if (!hasMeta()) {
    db.transaction(() => {
      if (hasMeta()) return // another process created it meanwhile
      db.exec(V2)
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '2')").run()
    }).immediate()
  }
  const version = schemaVersion(db)
  if (version > SCHEMA_VERSION) throw ERR_STORE_SCHEMA.create(version, SCHEMA_VERSION)
  if (version < 2) upgradeStep(db, version, 2, upgradeToV2)
  for (let from = Math.max(version, 2); from < SCHEMA_VERSION; from++) upgradeStep(db, from, from + 1, UPGRADES[from - 2]!)
}

/** One step from version `from` to `to`, in its own transaction; nothing when another process took it meanwhile. */
function upgradeStep(db: Database.Database, from: number, to: number, upgrade: (db: Database.Database) => void): void {
  db.transaction(() => {
    if (schemaVersion(db) !== from) return
    upgrade(db)
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(to))
  }).immediate()
}

function schemaVersion(db: Database.Database): number {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined
  return Number(row?.value ?? 0)
}

type V1Row = [number, string, string, string, string, string, number, string, string | null, string | null, string | null, string | null, string | null, string, Buffer]

/**
 * Version 1 → 2: each event's canonical text is rebuilt from its columns exactly as version 1
 * hashed it (canonicalEventText), so every stored hash, checkpoint and anchor stays valid.
 */
function upgradeToV2(db: Database.Database): void {
  db.exec(EVENTS_TABLE('events_v2'))
  const insert = db.prepare('INSERT INTO events_v2 (seq, id, ts_key, project, type, severity, source, body, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
  const chunk = db.prepare('SELECT seq, id, ts, ts_key, project, type, severity, message, source, actor, data, metadata, flags, received_at, hash FROM events WHERE seq > ? ORDER BY seq LIMIT 5000').raw()
  // In chunks: better-sqlite3 runs no other statement while an iterator is open.
  for (let rows = chunk.all(0) as V1Row[]; rows.length > 0; rows = chunk.all(rows[rows.length - 1]![0]) as V1Row[]) for (const r of rows) {
    const body = canonicalEventText({
      seq: r[0], id: r[1], ts: r[2], project: r[4], type: r[5], severity: SEVERITIES[r[6]] ?? String(r[6]), message: r[7],
      source: r[8], actor: r[9], dataJson: r[10], metadataJson: r[11], flags: r[12]?.split(','), received_at: r[13],
    })
    insert.run(r[0], r[1], r[3], r[4], r[5], r[6], r[8], body, r[14])
  }
  // DROP TABLE fires no DELETE trigger; the triggers go with the table and come back with the new one.
  db.exec(`DROP TABLE events; ALTER TABLE events_v2 RENAME TO events; ${EVENTS_INDEXES} ${V2_ADDITIONS()}`)
}
