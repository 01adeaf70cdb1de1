/**
 * EventStore on SQLite (better-sqlite3): WAL with synchronous=FULL, so a commit is on
 * disk when `append` returns. Several processes may use one file (the collector and the
 * CLI): every append reads the chain head inside its write transaction.
 */
import Database from 'better-sqlite3'
import {
  type Anchor, type AppendResult, type ChainHead, type ChainRecord, type Checkpoint, type Clock, type EventFilter,
  type EventStore, type PreparedEvent, type QueryOptions, SEVERITIES, type Severity, type Stats, type StoredEvent, severityRank,
  ERR_STORE_CLOSED, GENESIS_HASH, canonicalEventText, chainHash, formatMicros, systemClock,
} from '@tradetrail/core'
import { migrate } from './sqlite-schema.ts'
import { EVENT_COLUMNS, filterSql } from './sqlite-query.ts'

export interface SqliteEventStoreOptions {
  /** Path of the database file. */
  path: string
  clock?: Clock
  /**
   * Open without writing (a backup, a copy under review): the file must exist, and
   * searches see only what was already in the full-text index.
   */
  readonly?: boolean
}

type Row = [number, string, string, string, string, number, string, string | null, string | null, string | null, string | null, string | null, string, Buffer]

const SEVERITY_BY_RANK: readonly Severity[] = SEVERITIES

export class SqliteEventStore implements EventStore {
  readonly #db: Database.Database
  readonly #clock: Clock
  readonly #readonly: boolean
  readonly #appendTx: (batches: ReadonlyArray<readonly PreparedEvent[]>, receivedAt: string) => AppendResult[]
  readonly #insert: Database.Statement
  readonly #head: Database.Statement
  readonly #anchor: Database.Statement
  readonly #indexFts: Database.Statement
  readonly #indexedSeq: Database.Statement
  readonly #setIndexedSeq: Database.Statement
  readonly #indexTx: (limit: number) => number
  /** Statements by SQL text: queries repeat a few shapes, and preparing costs more than running. */
  readonly #statements = new Map<string, Database.Statement>()
  #closed = false

  constructor(options: SqliteEventStoreOptions) {
    this.#clock = options.clock ?? systemClock
    this.#readonly = options.readonly ?? false
    this.#db = new Database(options.path, { readonly: this.#readonly, fileMustExist: this.#readonly })
    const db = this.#db
    db.pragma('busy_timeout = 10000')
    if (!this.#readonly) {
      db.pragma('journal_mode = WAL')
      migrate(db)
    }
    db.pragma('synchronous = FULL')
    db.pragma('cache_size = -32768') // 32 MiB of pages: the hot end of the trail and its indexes
    this.#insert = db.prepare(`INSERT INTO events (seq, id, ts, ts_key, project, type, severity, message, source, actor, data, metadata, flags, received_at, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    this.#head = db.prepare('SELECT seq, hash, received_at FROM events ORDER BY seq DESC LIMIT 1').raw()
    this.#anchor = db.prepare('SELECT seq, hash, time, key_id, signature, purged FROM anchors ORDER BY seq DESC LIMIT 1')
    this.#indexFts = db.prepare('INSERT INTO events_fts (rowid, message, source, actor, data) SELECT seq, message, source, actor, data FROM events WHERE seq BETWEEN ? AND ?')
    this.#indexedSeq = db.prepare("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts_seq'").pluck()
    this.#setIndexedSeq = db.prepare("INSERT INTO meta (key, value) VALUES ('fts_seq', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    const indexTx = db.transaction((limit: number) => this.#indexLocked(limit))
    this.#indexTx = (limit) => indexTx.immediate(limit)
    const appendTx = db.transaction((batches: ReadonlyArray<readonly PreparedEvent[]>, now: string) => this.#appendLocked(batches, now))
    this.#appendTx = (batches, now) => appendTx.immediate(batches, now)
  }

  async append(batch: readonly PreparedEvent[]): Promise<AppendResult> {
    return (await this.appendGroup([batch]))[0]!
  }

  async appendGroup(batches: ReadonlyArray<readonly PreparedEvent[]>): Promise<AppendResult[]> {
    this.#open()
    return this.#appendTx(batches, formatMicros(this.#clock.nowMicros()))
  }

  #appendLocked(batches: ReadonlyArray<readonly PreparedEvent[]>, now: string): AppendResult[] {
    const head = this.#head.get() as [number, Buffer, string] | undefined
    const chain = { seq: 0, prev: GENESIS_HASH, receivedAt: now }
    if (head !== undefined) {
      chain.seq = head[0]
      chain.prev = head[1]
      // received_at never goes backwards along the chain, even when the wall clock does.
      if (head[2] > now) chain.receivedAt = head[2]
    } else {
      const anchor = this.#anchor.get() as Anchor | undefined
      if (anchor !== undefined) {
        chain.seq = anchor.seq
        chain.prev = Buffer.from(anchor.hash, 'hex')
      }
    }
    return batches.map((batch) => this.#insertBatch(batch, chain))
  }

  /** Inserts one batch at the chain's end, advancing `chain` past each newly stored event. */
  #insertBatch(batch: readonly PreparedEvent[], chain: { seq: number; prev: Buffer; receivedAt: string }): AppendResult {
    const first = chain.seq + 1
    const receivedAt = chain.receivedAt
    let duplicates = 0
    for (const e of batch) {
      const seq = chain.seq + 1
      const flags = e.flags !== undefined && e.flags.length > 0 ? e.flags : undefined
      const hash = chainHash(chain.prev, canonicalEventText({
        seq, id: e.id, ts: e.ts, project: e.project, type: e.type, severity: e.severity, message: e.message,
        source: e.source, actor: e.actor, dataJson: e.dataJson, metadataJson: e.metadataJson, flags, received_at: receivedAt,
      }))
      try {
        this.#insert.run(seq, e.id, e.ts, e.tsKey, e.project, e.type, severityRank(e.severity), e.message,
          e.source ?? null, e.actor ?? null, e.dataJson ?? null, e.metadataJson ?? null, flags?.join(',') ?? null, receivedAt, hash)
      } catch (error) {
        // A plain INSERT that fails on the id's unique index costs less, in the common case of
        // no duplicate, than ON CONFLICT DO NOTHING (bench/store-append.bench.ts). SQLite undoes
        // just this statement; the chain does not advance.
        if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error
        duplicates++
        continue
      }
      chain.seq = seq
      chain.prev = hash
    }
    const accepted = chain.seq - first + 1
    return { accepted, duplicates, first_seq: accepted > 0 ? first : null, last_seq: accepted > 0 ? chain.seq : null }
  }

  /**
   * Adds the events not yet in the full-text index, in one transaction. FTS5 writes a
   * segment per transaction and merges them as they pile up, so indexing each small
   * commit cost more than the commit itself; a deferred step amortises that.
   */
  #indexLocked(limit: number): number {
    const from = (this.#indexedSeq.get() as number | undefined) ?? 0
    const head = (this.#head.get() as [number] | undefined)?.[0] ?? from
    if (head <= from) return 0
    const to = Math.min(head, from + limit)
    this.#indexFts.run(from + 1, to)
    this.#setIndexedSeq.run(String(to))
    return to - from
  }

  /** Events committed but not yet in the full-text index. */
  #searchLag(): number {
    const head = (this.#head.get() as [number] | undefined)?.[0] ?? 0
    return Math.max(0, head - ((this.#indexedSeq.get() as number | undefined) ?? 0))
  }

  async maintain(maxEvents = Infinity): Promise<void> {
    this.#open()
    if (!this.#readonly && this.#searchLag() > 0) this.#indexTx(maxEvents)
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    this.#open()
    const row = this.#statement(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = ?`).raw().get(id) as Row | undefined
    return row && toEvent(row)
  }

  async query(options: QueryOptions): Promise<StoredEvent[]> {
    this.#open()
    const { from, where, params, seqColumn, searches } = filterSql(options)
    if (searches) await this.maintain() // a search must see every committed event
    const order = options.order === 'asc' ? 'ASC' : 'DESC'
    const rows = this.#statement(`SELECT ${EVENT_COLUMNS} FROM ${from} WHERE ${where} ORDER BY ${seqColumn} ${order} LIMIT ?`)
      .raw().all(...params, options.limit) as Row[]
    return rows.map(toEvent)
  }

  async stats(filter: EventFilter): Promise<Stats> {
    this.#open()
    const { from, where, params, searches } = filterSql(filter)
    if (searches) await this.maintain()
    const rows = this.#statement(`SELECT e.project, e.type, e.severity, count(*) FROM ${from} WHERE ${where} GROUP BY e.project, e.type, e.severity`)
      .raw().all(...params) as Array<[string, string, number, number]>
    const stats: Stats = { total: 0, by_project: {}, by_type: {}, by_severity: {} }
    for (const [project, type, rank, n] of rows) {
      const severity = SEVERITY_BY_RANK[rank]!
      stats.total += n
      stats.by_project[project] = (stats.by_project[project] ?? 0) + n
      stats.by_type[type] = (stats.by_type[type] ?? 0) + n
      stats.by_severity[severity] = (stats.by_severity[severity] ?? 0) + n
    }
    return stats
  }

  async *scan(filter: EventFilter, chunkSize = 1000): AsyncIterable<StoredEvent[]> {
    // Bounded by the head at the start, so an export is a consistent prefix of the trail.
    const end = (await this.head()).seq + 1
    let after = filter.afterSeq ?? 0
    for (;;) {
      const events = await this.query({ ...filter, afterSeq: after, beforeSeq: Math.min(end, filter.beforeSeq ?? end), order: 'asc', limit: chunkSize })
      if (events.length === 0) return
      yield events
      if (events.length < chunkSize) return
      after = events[events.length - 1]!.seq
      await yieldToEventLoop()
    }
  }

  async *scanChain(afterSeq: number, chunkSize = 5000): AsyncIterable<ChainRecord[]> {
    this.#open()
    const stmt = this.#db.prepare('SELECT seq, id, ts, project, type, severity, message, source, actor, data, metadata, flags, received_at, hash FROM events WHERE seq > ? ORDER BY seq LIMIT ?').raw()
    let after = afterSeq
    for (;;) {
      const rows = stmt.all(after, chunkSize) as Row[]
      if (rows.length === 0) return
      const records = new Array<ChainRecord>(rows.length)
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!
        records[i] = {
          seq: r[0], id: r[1], ts: r[2], project: r[3], type: r[4], severity: SEVERITY_BY_RANK[r[5]] ?? String(r[5]), message: r[6],
          source: r[7], actor: r[8], dataJson: r[9], metadataJson: r[10], flags: r[11]?.split(','), received_at: r[12], hash: r[13],
        }
      }
      yield records
      if (rows.length < chunkSize) return
      after = rows[rows.length - 1]![0]
      await yieldToEventLoop()
    }
  }

  async head(): Promise<ChainHead> {
    this.#open()
    const row = this.#head.get() as [number, Buffer, string] | undefined
    if (row) return { seq: row[0], hash: row[1] }
    const anchor = this.#anchor.get() as Anchor | undefined
    return anchor ? { seq: anchor.seq, hash: Buffer.from(anchor.hash, 'hex') } : { seq: 0, hash: GENESIS_HASH }
  }

  async count(): Promise<number> {
    this.#open()
    return (this.#db.prepare('SELECT count(*) FROM events').pluck().get() as number)
  }

  async addCheckpoint(c: Checkpoint): Promise<void> {
    this.#open()
    this.#db.prepare('INSERT OR IGNORE INTO checkpoints (seq, hash, time, key_id, signature) VALUES (?, ?, ?, ?, ?)')
      .run(c.seq, c.hash, c.time, c.key_id, c.signature)
  }

  async checkpoints(): Promise<Checkpoint[]> {
    this.#open()
    return this.#db.prepare('SELECT seq, hash, time, key_id, signature FROM checkpoints ORDER BY seq').all() as Checkpoint[]
  }

  async latestCheckpoint(): Promise<Checkpoint | undefined> {
    this.#open()
    return this.#statement('SELECT seq, hash, time, key_id, signature FROM checkpoints ORDER BY seq DESC LIMIT 1').get() as Checkpoint | undefined
  }

  async anchor(): Promise<Anchor | undefined> {
    this.#open()
    return this.#anchor.get() as Anchor | undefined
  }

  async lastSeqReceivedBefore(time: string): Promise<number> {
    this.#open()
    // received_at never decreases along seq, so the answer is a prefix: binary search on the primary key.
    const at = this.#db.prepare('SELECT received_at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1').pluck()
    const bounds = this.#db.prepare('SELECT min(seq), max(seq) FROM events').raw().get() as [number | null, number | null]
    if (bounds[0] === null) return 0
    let lo = bounds[0] - 1, hi = bounds[1]! // invariant: seq lo is before `time` (or below the range), seq hi+1.. is not
    if ((at.get(hi) as string) < time) return hi
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2)
      if ((at.get(mid) as string) < time) lo = mid
      else hi = mid
    }
    return Math.max(lo, 0)
  }

  async purge(anchor: Anchor): Promise<void> {
    this.#open()
    const db = this.#db
    db.transaction(() => {
      db.prepare("INSERT INTO meta (key, value) VALUES ('purging', '1')").run()
      db.prepare('DELETE FROM events_fts WHERE rowid <= ?').run(anchor.seq)
      db.prepare('DELETE FROM events WHERE seq <= ?').run(anchor.seq)
      db.prepare("DELETE FROM meta WHERE key = 'purging'").run()
      db.prepare('INSERT INTO anchors (seq, hash, time, key_id, signature, purged) VALUES (?, ?, ?, ?, ?, ?)')
        .run(anchor.seq, anchor.hash, anchor.time, anchor.key_id, anchor.signature, anchor.purged)
    }).immediate()
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#db.close()
  }

  #open(): void {
    if (this.#closed) throw ERR_STORE_CLOSED.create()
  }

  #statement(sql: string): Database.Statement {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      if (this.#statements.size >= 256) this.#statements.delete(this.#statements.keys().next().value!)
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }
}

/** Lets I/O run between the synchronous chunks of a long scan (a microtask would not). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function toEvent(r: Row): StoredEvent {
  const event: StoredEvent = {
    seq: r[0], id: r[1], ts: r[2], project: r[3], type: r[4], severity: SEVERITY_BY_RANK[r[5]]!, message: r[6],
    received_at: r[12], hash: r[13].toString('hex'),
  }
  if (r[7] !== null) event.source = r[7]
  if (r[8] !== null) event.actor = r[8]
  if (r[9] !== null) event.data = JSON.parse(r[9])
  if (r[10] !== null) event.metadata = JSON.parse(r[10])
  if (r[11] !== null) event.flags = r[11].split(',')
  return event
}
