/**
 * The one writer of an SQLite trail in a process: appends groups of batches at the end of the
 * chain (seq, received_at, hash), inside one BEGIN IMMEDIATE transaction and one fsync per
 * group; signs nothing and validates nothing (that happened before). The collector runs it
 * in its own thread (sqlite-writer-thread.ts); the CLI runs it inline.
 *
 * Several processes may write one file (a collector and `tradetrail log`): the chain head is
 * read inside every write transaction, never cached.
 */
import Database from 'better-sqlite3'
import { type Anchor, type Checkpoint, GENESIS_HASH, chainHash, joinCanonical } from '@tradetrail/core'
import { migrate } from './sqlite-schema.ts'
import { translated } from './sqlite-errors.ts'

/** One event as the writer needs it: the columns, and its canonical text around received_at/seq. */
export interface EncodedEvent {
  id: string
  tsKey: string
  project: string
  type: string
  severity: number
  source: string | null
  prefix: string
  suffix: string
}

/** A group waiting for the writer, with the received_at it was submitted at. */
export interface PendingGroup {
  group: readonly (readonly EncodedEvent[])[]
  receivedAt: string
}

/** What one group's commit did. */
export interface GroupOutcome {
  /** received_at given to every event of the group. */
  receivedAt: string
  /** Per batch: events stored, duplicates, first and last seq. */
  batches: Array<{ accepted: number; duplicates: number; first_seq: number | null; last_seq: number | null }>
  /** Indexes (within the whole group, in order) of the events that were duplicates. */
  duplicateIndexes: number[]
  /** 32-byte chain hashes of the stored events, in order. */
  hashes: Buffer
}

export class SqliteChainWriter {
  readonly #db: Database.Database
  readonly #insert: Database.Statement
  readonly #head: Database.Statement
  readonly #anchor: Database.Statement
  readonly #indexFts: Database.Statement
  readonly #indexedSeq: Database.Statement
  readonly #setIndexedSeq: Database.Statement
  readonly #appendTx: (groups: readonly PendingGroup[]) => GroupOutcome[]
  readonly #indexTx: (limit: number) => number

  constructor(path: string, options: { mustExist?: boolean } = {}) {
    this.#db = translated(() => new Database(path, { fileMustExist: options.mustExist ?? false }))
    const db = this.#db
    translated(() => {
      db.pragma('busy_timeout = 10000')
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = FULL')
      db.pragma('cache_size = -16384') // 16 MiB of pages: the hot end of the trail and its indexes (32 was no faster, only bigger)
      // Checkpoint the WAL into the database every 64 MiB instead of 4 MiB: index and full-text
      // pages rewritten by many commits are copied once per checkpoint, not once per 4 MiB.
      db.pragma('wal_autocheckpoint = 16384')
      migrate(db)
    })
    this.#insert = db.prepare('INSERT INTO events (seq, id, ts_key, project, type, severity, source, body, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    this.#head = db.prepare("SELECT seq, hash, body ->> '$.received_at' FROM events ORDER BY seq DESC LIMIT 1").raw()
    this.#anchor = db.prepare('SELECT seq, hash FROM anchors ORDER BY seq DESC LIMIT 1').raw()
    // The search index is filled from the stored text, by SQLite, off the commit path.
    this.#indexFts = db.prepare(`INSERT INTO events_fts (rowid, message, source, actor, data)
      SELECT seq, body ->> '$.message', source, body ->> '$.actor', body -> '$.data' FROM events WHERE seq BETWEEN ? AND ?`)
    this.#indexedSeq = db.prepare("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts_seq'").pluck()
    this.#setIndexedSeq = db.prepare("INSERT INTO meta (key, value) VALUES ('fts_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    const appendTx = db.transaction((groups: readonly PendingGroup[]) => this.#appendLocked(groups))
    this.#appendTx = (groups) => appendTx.immediate(groups)
    const indexTx = db.transaction((limit: number) => this.#indexLocked(limit))
    this.#indexTx = (limit) => indexTx.immediate(limit)
  }

  /** Appends a group of batches in one durable transaction. */
  append(group: readonly (readonly EncodedEvent[])[], receivedAt: string): GroupOutcome {
    return this.appendAll([{ group, receivedAt }])[0]!
  }

  /**
   * Appends several groups in one durable transaction, each with its own outcome: the writer
   * thread takes every group that queued up while it synced the last commit.
   */
  appendAll(groups: readonly PendingGroup[]): GroupOutcome[] {
    return translated(() => this.#appendTx(groups))
  }

  #appendLocked(groups: readonly PendingGroup[]): GroupOutcome[] {
    const head = this.#head.get() as [number, Buffer, string] | undefined
    const chain = { seq: 0, prev: GENESIS_HASH, receivedAt: '' }
    if (head !== undefined) {
      chain.seq = head[0]
      chain.prev = head[1]
      chain.receivedAt = head[2]
    } else {
      const anchor = this.#anchor.get() as [number, string] | undefined
      if (anchor !== undefined) {
        chain.seq = anchor[0]
        chain.prev = Buffer.from(anchor[1], 'hex')
      }
    }
    return groups.map(({ group, receivedAt }) => {
      // received_at never goes backwards along the chain, even when the wall clock does.
      if (receivedAt > chain.receivedAt) chain.receivedAt = receivedAt
      return this.#appendGroupLocked(group, chain)
    })
  }

  /** One group at the chain's end, advancing `chain` past each newly stored event. */
  #appendGroupLocked(group: readonly (readonly EncodedEvent[])[], chain: { seq: number; prev: Buffer; receivedAt: string }): GroupOutcome {
    let { seq, prev } = chain
    const receivedAt = chain.receivedAt
    let total = 0
    for (const batch of group) total += batch.length
    const hashes = Buffer.allocUnsafe(total * 32)
    const duplicateIndexes: number[] = []
    const batches: GroupOutcome['batches'] = []
    let index = 0
    let stored = 0
    for (const batch of group) {
      const first = seq + 1
      let duplicates = 0
      for (const e of batch) {
        const text = joinCanonical(e, seq + 1, receivedAt)
        const hash = chainHash(prev, text)
        try {
          this.#insert.run(seq + 1, e.id, e.tsKey, e.project, e.type, e.severity, e.source, text, hash)
        } catch (error) {
          // A plain INSERT that fails on the id's unique index costs less, in the common case of
          // no duplicate, than ON CONFLICT DO NOTHING. SQLite undoes just this statement; the
          // chain does not advance.
          if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error
          duplicates++
          duplicateIndexes.push(index++)
          continue
        }
        hash.copy(hashes, stored++ * 32)
        seq++
        prev = hash
        index++
      }
      const accepted = seq - first + 1
      batches.push({ accepted, duplicates, first_seq: accepted > 0 ? first : null, last_seq: accepted > 0 ? seq : null })
    }
    chain.seq = seq
    chain.prev = prev
    return { receivedAt, batches, duplicateIndexes, hashes: hashes.subarray(0, stored * 32) }
  }

  /** Events committed but not yet in the full-text index. */
  searchLag(): number {
    return translated(() => {
      const head = (this.#head.get() as [number] | undefined)?.[0] ?? 0
      return Math.max(0, head - ((this.#indexedSeq.get() as number | undefined) ?? 0))
    })
  }

  /**
   * Adds up to `limit` events to the full-text index, in one transaction. FTS5 writes a
   * segment per transaction and merges them as they pile up, so indexing each small commit
   * cost more than the commit itself; larger deferred steps amortise that.
   */
  indexSearch(limit: number): number {
    return translated(() => this.searchLag() > 0 ? this.#indexTx(limit) : 0)
  }

  #indexLocked(limit: number): number {
    const from = (this.#indexedSeq.get() as number | undefined) ?? 0
    const head = (this.#head.get() as [number] | undefined)?.[0] ?? from
    if (head <= from) return 0
    const to = Math.min(head, from + limit)
    this.#indexFts.run(from + 1, to)
    this.#setIndexedSeq.run(String(to))
    return to - from
  }

  /**
   * Keeps checkpoints in the order they are signed: one that another process signed of an older
   * head while this one signed a newer is dropped (the newer covers it), so witnesses, which
   * deliver in seq order from a cursor, never find a checkpoint behind the one they delivered.
   */
  addCheckpoint(c: Checkpoint): void {
    translated(() => this.#db.prepare('INSERT OR IGNORE INTO checkpoints (seq, hash, time, key_id, signature) SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE seq > ?)')
      .run(c.seq, c.hash, c.time, c.key_id, c.signature, c.seq))
  }

  /**
   * Deletes every event with seq ≤ anchor.seq and records the anchor, in one transaction; does
   * nothing and returns false when the trail no longer holds `holdsPlaced` legal holds.
   */
  purge(anchor: Anchor, holdsPlaced?: number): boolean {
    const db = this.#db
    return translated(() => db.transaction(() => {
      if (holdsPlaced !== undefined && db.prepare('SELECT count(*) FROM holds').pluck().get() !== holdsPlaced) return false
      db.prepare("INSERT INTO meta (key, value) VALUES ('purging', '1')").run()
      db.prepare('DELETE FROM events_fts WHERE rowid <= ?').run(anchor.seq)
      db.prepare('DELETE FROM events WHERE seq <= ?').run(anchor.seq)
      db.prepare("DELETE FROM meta WHERE key = 'purging'").run()
      db.prepare(`INSERT INTO anchors (seq, hash, time, key_id, signature, purged, newest_received_at, min_retention_ms, retention_ms, below_minimum)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(anchor.seq, anchor.hash, anchor.time, anchor.key_id, anchor.signature, anchor.purged,
        anchor.newest_received_at ?? null, anchor.min_retention_ms ?? null, anchor.retention_ms ?? null, anchor.below_minimum ?? null)
      return true
    }).immediate())
  }

  /** Records how far the named feed consumer got. */
  setCursor(name: string, seq: number): void {
    translated(() => this.#db.prepare('INSERT INTO cursors (name, seq) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq').run(name, seq))
  }

  close(): void {
    this.#db.close()
  }
}
