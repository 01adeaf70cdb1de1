/**
 * The SQLite layout, versioned in `meta.schema_version`. Events are append-only:
 * triggers refuse UPDATE, and DELETE except inside a retention purge. Raw SQL can drop
 * the triggers, which is why the chain hash, not the triggers, is the guarantee.
 */
import type Database from 'better-sqlite3'
import { ERR_STORE_SCHEMA } from '@tradetrail/core'

export const SCHEMA_VERSION = 1

const V1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  ts TEXT NOT NULL,
  ts_key TEXT NOT NULL,
  project TEXT NOT NULL,
  type TEXT NOT NULL,
  severity INTEGER NOT NULL,
  message TEXT NOT NULL,
  source TEXT,
  actor TEXT,
  data TEXT,
  metadata TEXT,
  flags TEXT,
  received_at TEXT NOT NULL,
  hash BLOB NOT NULL
) STRICT;
CREATE UNIQUE INDEX events_id ON events (id);
-- One secondary index besides id: each costs ~20% of the append rate. Time filters
-- without a project walk seq backwards, which is quick for the recent windows people ask for.
CREATE INDEX events_project_ts ON events (project, ts_key);

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

CREATE TRIGGER events_append_only BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

CREATE TRIGGER events_purge_only BEFORE DELETE ON events
WHEN (SELECT value FROM meta WHERE key = 'purging') IS NULL
BEGIN SELECT RAISE(ABORT, 'events are append-only; retention purges whole ranges'); END;
`

/** Creates the schema on a new database, or checks that an existing one is one this code can use. */
export function migrate(db: Database.Database): void {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'").get() !== undefined
  if (!hasMeta) {
    db.transaction(() => {
      db.exec(V1)
      db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?)").run(String(SCHEMA_VERSION))
    }).immediate()
    return
  }
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined
  const version = Number(row?.value ?? 0)
  if (version > SCHEMA_VERSION) throw ERR_STORE_SCHEMA.create(version, SCHEMA_VERSION)
}
