/**
 * EventStore on SQLite (better-sqlite3): WAL with synchronous=FULL, so a commit is on disk
 * when `append` resolves. Reads use this object's own connection; writes go to one
 * SqliteChainWriter, either in this thread (the CLI: one short command) or in a writer thread
 * (the collector: `writerThread: true`), so the event loop never waits on a commit.
 */
import { statSync, statfsSync } from 'node:fs'
import Database from 'better-sqlite3'
import {
  type Anchor, type AppendBatch, type AppendResult, type ChainHead, type ChainRecord, type Checkpoint, type Clock, type EventFilter,
  type EventStore, type PreparedEvent, type QueryOptions, SEVERITIES, type Severity, type Stats, type StoreLocator, type StoredEvent,
  ERR_STORE_CLOSED, ERR_STORE_IO, GENESIS_HASH, TradetrailError, canonicalParts, formatMicros, joinCanonical, mayHaveFlags, severityRank, systemClock,
} from '@tradetrail/core'
import { type EncodedEvent, type GroupOutcome, SqliteChainWriter } from './sqlite-chain-writer.ts'
import { startThread } from '../../start-thread.ts'
import { storeError, translated } from './sqlite-errors.ts'
import { encodeGroup } from './sqlite-group-codec.ts'
import { filterSql } from './sqlite-query.ts'
import { WRITER_THREAD, WRITER_THREAD_URL, type WriterReply, type WriterRequest } from './sqlite-writer-thread.ts'

export interface SqliteEventStoreOptions {
  /** Path of the database file. */
  path: string
  clock?: Clock
  /**
   * Open without writing (a backup, a copy under review, a verify worker): the file must
   * exist, and searches see only what was already in the full-text index.
   */
  readonly?: boolean
  /** Commit in a writer thread (the collector) instead of on the caller's thread (the CLI). */
  writerThread?: boolean
  /** The database file must exist already (commands that only read never create a trail). */
  mustExist?: boolean
}

/** An event as committed by this store object, for the commit feed. */
export interface CommittedEvent {
  readonly seq: number
  readonly id: string
  readonly project: string
  readonly type: string
  readonly severity: Severity
  readonly source: string | undefined
  readonly tsKey: string
  /** See FeedEvent.flagged. */
  readonly flagged: boolean
  /** Canonical JSON of the event without its hash. */
  readonly canonical: string
  readonly hash: Buffer
}

/**
 * A committed event as this process made it: its text and hash are put together only when a
 * reader of the feed asks (most events reach the feed's memory and leave it unread).
 */
class FreshEvent implements CommittedEvent {
  readonly seq: number
  readonly #event: EncodedEvent
  readonly #receivedAt: string
  readonly #hashes: Buffer
  readonly #at: number

  constructor(event: EncodedEvent, seq: number, receivedAt: string, hashes: Buffer, at: number) {
    this.seq = seq
    this.#event = event
    this.#receivedAt = receivedAt
    this.#hashes = hashes
    this.#at = at
  }

  get id(): string { return this.#event.id }
  get project(): string { return this.#event.project }
  get type(): string { return this.#event.type }
  get severity(): Severity { return SEVERITY_BY_RANK[this.#event.severity]! }
  get source(): string | undefined { return this.#event.source ?? undefined }
  get tsKey(): string { return this.#event.tsKey }
  // flags sort before received_at: they are in the prefix, which needs no joining.
  get flagged(): boolean { return mayHaveFlags(this.#event.prefix) }
  get canonical(): string { return joinCanonical(this.#event, this.seq, this.#receivedAt) }
  get hash(): Buffer { return this.#hashes.subarray(this.#at * 32, this.#at * 32 + 32) }
}

export type CommitListener = (events: readonly CommittedEvent[]) => void

const SEVERITY_BY_RANK: readonly Severity[] = SEVERITIES
// Hashes leave SQLite as hex text: a BLOB costs a Buffer per row, several times the rest of the row.
const EVENT_COLUMNS = 'e.body, lower(hex(e.hash))'

/** A request to the writer thread before its id is given. */
type Unnumbered<R> = R extends unknown ? Omit<R, 'id'> : never
type Request = Unnumbered<WriterRequest>

/** How the chain writer is reached: in this thread, or through a worker. */
interface WriterPort {
  append(group: readonly (readonly EncodedEvent[])[], receivedAt: string): Promise<GroupOutcome>
  request(op: Exclude<WriterRequest['op'], 'append'>, args: Record<string, unknown>): Promise<unknown>
  close(): Promise<void>
}

export class SqliteEventStore implements EventStore {
  readonly locator: StoreLocator
  readonly #db: Database.Database
  readonly #path: string
  readonly #clock: Clock
  readonly #readonly: boolean
  readonly #threaded: boolean
  #writer: WriterPort | undefined
  #writerFailure: string | undefined
  readonly #listeners: CommitListener[] = []
  readonly #head: Database.Statement
  readonly #anchor: Database.Statement
  readonly #anchorColumns: string
  readonly #indexedSeq: Database.Statement
  /** Statements by SQL text: queries repeat a few shapes, and preparing costs more than running. */
  readonly #statements = new Map<string, Database.Statement>()
  #closed = false

  constructor(options: SqliteEventStoreOptions) {
    this.#path = options.path
    this.#clock = options.clock ?? systemClock
    this.#readonly = options.readonly ?? false
    this.#threaded = options.writerThread ?? false
    this.locator = { kind: 'sqlite', address: options.path }
    if (!this.#readonly && !this.#threaded) {
      // Inline: the writer opens (and creates or migrates) the file first.
      const writer = new SqliteChainWriter(options.path, { mustExist: options.mustExist })
      this.#writer = inlinePort(writer)
    }
    this.#db = translated(() => new Database(options.path, { readonly: this.#readonly, fileMustExist: this.#readonly || this.#threaded }))
    translated(() => {
      this.#db.pragma('busy_timeout = 10000')
      this.#db.pragma('cache_size = -8192') // 8 MiB: reads touch the recent end and whatever a query scans once
    })
    this.#head = this.#db.prepare('SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1').raw()
    // A read-only copy of a trail older than schema 4 has no policy columns: its anchors are all legacy.
    const hasPolicy = (this.#db.prepare("SELECT count(*) FROM pragma_table_info('anchors') WHERE name = 'newest_received_at'").pluck().get() as number) > 0
    this.#anchorColumns = `${ANCHOR_COLUMNS}, ${POLICY_COLUMNS.map((c) => (hasPolicy ? c : `NULL AS ${c}`)).join(', ')}`
    this.#anchor = this.#db.prepare(`SELECT ${this.#anchorColumns} FROM anchors ORDER BY seq DESC LIMIT 1`)
    this.#indexedSeq = this.#db.prepare("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'fts_seq'").pluck()
  }

  /**
   * Opens a store whose writer runs in its own thread: the thread creates or migrates the
   * database before this resolves.
   */
  static async openThreaded(options: Omit<SqliteEventStoreOptions, 'writerThread' | 'readonly'>): Promise<SqliteEventStore> {
    let store: SqliteEventStore | undefined
    const port = await threadPort(options.path, (reason) => { if (store !== undefined) store.#writerFailure = reason })
    try {
      store = new SqliteEventStore({ ...options, writerThread: true })
      store.#writer = port
      return store
    } catch (error) {
      await port.close()
      throw error
    }
  }

  /** Calls `listener` after every commit this object makes, with the events stored, in seq order. */
  onCommit(listener: CommitListener): void {
    this.#listeners.push(listener)
  }

  async append(batch: readonly PreparedEvent[], submitter?: string): Promise<AppendResult> {
    return (await this.appendGroup([{ events: batch, submitter }]))[0]!
  }

  async appendGroup(batches: readonly AppendBatch[]): Promise<AppendResult[]> {
    const writer = this.#writable()
    const group = batches.map((b) => b.events.map((e) => encodeEvent(e, b.submitter)))
    const outcome = await writer.append(group, formatMicros(this.#clock.nowMicros()))
    if (this.#listeners.length > 0) this.#announce(group, outcome)
    return outcome.batches
  }

  /** Tells the commit listeners what a group stored. */
  #announce(group: readonly (readonly EncodedEvent[])[], outcome: GroupOutcome): void {
    const committed: CommittedEvent[] = []
    const duplicates = new Set(outcome.duplicateIndexes)
    let index = 0
    let stored = 0
    for (let b = 0; b < group.length; b++) {
      let seq = outcome.batches[b]!.first_seq ?? 0
      for (const e of group[b]!) {
        if (duplicates.has(index++)) continue
        committed.push(new FreshEvent(e, seq++, outcome.receivedAt, outcome.hashes, stored++))
      }
    }
    if (committed.length === 0) return
    for (const listener of this.#listeners) listener(committed)
  }

  async get(id: string): Promise<StoredEvent | undefined> {
    this.#open()
    const row = translated(() => this.#statement(`SELECT ${EVENT_COLUMNS} FROM events e WHERE e.id = ?`).raw().get(id)) as [string, string] | undefined
    return row && toEvent(row)
  }

  async query(options: QueryOptions): Promise<StoredEvent[]> {
    this.#open()
    const { from, where, params, seqColumn, searches } = filterSql(options)
    if (searches) await this.#catchUpSearch()
    const order = options.order === 'asc' ? 'ASC' : 'DESC'
    const rows = translated(() => this.#statement(`SELECT ${EVENT_COLUMNS} FROM ${from} WHERE ${where} ORDER BY ${seqColumn} ${order} LIMIT ?`)
      .raw().all(...params, options.limit)) as Array<[string, string]>
    return rows.map(toEvent)
  }

  /**
   * Events with seq > afterSeq in seq order with the columns the feed filters on, without
   * parsing their JSON (the feed hands the text on as it is).
   */
  readCommitted(afterSeq: number, limit: number): CommittedEvent[] {
    this.#open()
    const rows = translated(() => this.#statement('SELECT seq, id, project, type, severity, source, ts_key, body, hash FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
      .raw().all(afterSeq, limit)) as Array<[number, string, string, string, number, string | null, string, string, Buffer]>
    return rows.map((r) => ({
      seq: r[0], id: r[1], project: r[2], type: r[3], severity: SEVERITY_BY_RANK[r[4]]!, source: r[5] ?? undefined, tsKey: r[6], flagged: mayHaveFlags(r[7]), canonical: r[7], hash: r[8],
    }))
  }

  async stats(filter: EventFilter): Promise<Stats> {
    this.#open()
    const { from, where, params, searches } = filterSql(filter)
    if (searches) await this.#catchUpSearch()
    const rows = translated(() => this.#statement(`SELECT e.project, e.type, e.severity, count(*) FROM ${from} WHERE ${where} GROUP BY e.project, e.type, e.severity`)
      .raw().all(...params)) as Array<[string, string, number, number]>
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

  async *scanChain(afterSeq: number, chunkSize = 5000, throughSeq = Number.MAX_SAFE_INTEGER): AsyncIterable<ChainRecord[]> {
    this.#open()
    const stmt = this.#db.prepare(`SELECT seq, body, lower(hex(hash)) FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?`).raw()
    let after = afterSeq
    for (;;) {
      const rows = translated(() => stmt.all(after, throughSeq, chunkSize)) as Array<[number, string, string]>
      if (rows.length === 0) return
      const records = new Array<ChainRecord>(rows.length)
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i]!
        records[i] = { seq: r[0], canonical: r[1], hash: r[2] }
      }
      yield records
      if (rows.length < chunkSize) return
      after = rows[rows.length - 1]![0]
      await yieldToEventLoop()
    }
  }

  async hashAt(seq: number): Promise<Buffer | undefined> {
    this.#open()
    return translated(() => this.#statement('SELECT hash FROM events WHERE seq = ?').pluck().get(seq)) as Buffer | undefined
  }

  async head(): Promise<ChainHead> {
    this.#open()
    const row = translated(() => this.#head.get()) as [number, Buffer] | undefined
    if (row) return { seq: row[0], hash: row[1] }
    const anchor = translated(() => this.#anchor.get()) as Anchor | undefined
    return anchor ? { seq: anchor.seq, hash: Buffer.from(anchor.hash, 'hex') } : { seq: 0, hash: GENESIS_HASH }
  }

  async count(): Promise<number> {
    this.#open()
    return translated(() => this.#db.prepare('SELECT count(*) FROM events').pluck().get()) as number
  }

  async addCheckpoint(c: Checkpoint): Promise<void> {
    await this.#writable().request('checkpoint', { checkpoint: c })
  }

  async checkpoints(afterSeq = 0, limit = -1): Promise<Checkpoint[]> {
    this.#open()
    return translated(() => this.#statement('SELECT seq, hash, time, key_id, signature FROM checkpoints WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit)) as Checkpoint[]
  }

  async countCheckpoints(afterSeq: number): Promise<number> {
    this.#open()
    return translated(() => this.#statement('SELECT count(*) FROM checkpoints WHERE seq > ?').pluck().get(afterSeq)) as number
  }

  async latestCheckpoint(): Promise<Checkpoint | undefined> {
    this.#open()
    return translated(() => this.#statement('SELECT seq, hash, time, key_id, signature FROM checkpoints ORDER BY seq DESC LIMIT 1').get()) as Checkpoint | undefined
  }

  async anchor(): Promise<Anchor | undefined> {
    this.#open()
    const row = translated(() => this.#anchor.get()) as AnchorRow | undefined
    return row && toAnchor(row)
  }

  async anchors(): Promise<Anchor[]> {
    this.#open()
    return (translated(() => this.#db.prepare(`SELECT ${this.#anchorColumns} FROM anchors ORDER BY seq`).all()) as AnchorRow[]).map(toAnchor)
  }

  async lastSeqReceivedBefore(time: string): Promise<number> {
    this.#open()
    return translated(() => {
      // received_at never decreases along seq, so the answer is a prefix: binary search on the primary key.
      const at = this.#db.prepare("SELECT body ->> '$.received_at' FROM events WHERE seq >= ? ORDER BY seq LIMIT 1").pluck()
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
    })
  }

  async purge(anchor: Anchor, holdsPlaced?: number): Promise<boolean> {
    return await this.#writable().request('purge', { anchor, holdsPlaced }) as boolean
  }

  /** Bytes free for this user on the volume that holds the trail. */
  freeBytes(): number {
    const stats = statfsSync(this.#path)
    return stats.bavail * stats.bsize
  }

  /** Why this store cannot take writes now (its writer stopped), or undefined when it can. */
  writeProblem(): string | undefined {
    return this.#writerFailure
  }

  /** Bytes the trail takes on disk, write-ahead log included. */
  sizeBytes(): number {
    let size = 0
    for (const suffix of ['', '-wal']) {
      try {
        size += statSync(this.#path + suffix).size
      } catch {
        // Not there (yet): nothing to count.
      }
    }
    return size
  }

  async setCursor(name: string, seq: number): Promise<void> {
    await this.#writable().request('cursor', { name, seq })
  }

  async cursor(name: string): Promise<number | undefined> {
    this.#open()
    return translated(() => this.#statement('SELECT seq FROM cursors WHERE name = ?').pluck().get(name)) as number | undefined
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    try {
      await this.#writer?.close()
    } finally {
      this.#db.close()
    }
  }

  /**
   * A search must see every committed event: the index follows the trail off the commit path,
   * so a search first adds what it lacks (a short step: the writer keeps the lag small).
   */
  async #catchUpSearch(): Promise<void> {
    if (this.#readonly || this.#searchLag() === 0) return
    await this.#writable().request('index', { limit: Number.MAX_SAFE_INTEGER })
  }

  #searchLag(): number {
    return translated(() => {
      const head = (this.#head.get() as [number] | undefined)?.[0] ?? 0
      return Math.max(0, head - ((this.#indexedSeq.get() as number | undefined) ?? 0))
    })
  }

  #writable(): WriterPort {
    this.#open()
    if (this.#writer === undefined) throw ERR_STORE_IO.create('opened read-only')
    return this.#writer
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

const ANCHOR_COLUMNS = 'seq, hash, time, key_id, signature, purged'
const POLICY_COLUMNS = ['newest_received_at', 'min_retention_ms', 'retention_ms', 'below_minimum']
type AnchorRow = { [K in keyof Required<Anchor>]: Anchor[K] | null }

/** An anchor row as the contract has it: a legacy anchor (written before schema 4) has no policy members. */
function toAnchor(row: AnchorRow): Anchor {
  const { seq, hash, time, key_id, signature, purged, newest_received_at, min_retention_ms, retention_ms, below_minimum } = row as Required<Anchor>
  const anchor: Anchor = { seq, hash, time, key_id, signature, purged }
  return newest_received_at === null ? anchor : { ...anchor, newest_received_at, min_retention_ms, retention_ms, below_minimum }
}

/** An event's columns and canonical text parts, computed once, on the caller's thread. */
function encodeEvent(e: PreparedEvent, submitter: string | undefined): EncodedEvent {
  const flags = e.flags !== undefined && e.flags.length > 0 ? e.flags : undefined
  const { prefix, suffix } = canonicalParts({
    id: e.id, ts: e.ts, project: e.project, type: e.type, severity: e.severity, message: e.message,
    source: e.source, actor: e.actor, dataJson: e.dataJson, metadataJson: e.metadataJson, flags, submitter,
  })
  return { id: e.id, tsKey: e.tsKey, project: e.project, type: e.type, severity: severityRank(e.severity), source: e.source ?? null, prefix, suffix }
}

function inlinePort(writer: SqliteChainWriter): WriterPort {
  return {
    append: async (group, receivedAt) => writer.append(group, receivedAt),
    async request(op, args) {
      switch (op) {
        case 'checkpoint': return writer.addCheckpoint(args.checkpoint as Checkpoint)
        case 'purge': return writer.purge(args.anchor as Anchor, args.holdsPlaced as number | undefined)
        case 'cursor': return writer.setCursor(args.name as string, args.seq as number)
        case 'index': return writer.indexSearch(args.limit as number)
        case 'close': return writer.close()
      }
    },
    close: async () => writer.close(),
  }
}

/** Starts the writer thread and resolves once it has opened (and migrated) the database; `onFailure` hears if it stops. */
function threadPort(path: string, onFailure: (reason: string) => void): Promise<WriterPort> {
  // The thread's garbage is short-lived (a group's strings): V8's default young generation of
  // up to 48 MiB only added to the collector's RSS (bench/collector-http.bench.ts, same rate).
  const worker = startThread(WRITER_THREAD_URL, { tradetrailThread: WRITER_THREAD, path }, { maxYoungGenerationSizeMb: 8 })
  let nextId = 1
  let failure: unknown
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (error: unknown) => void }>()
  let closing = false
  const fail = (error: unknown): void => {
    if (failure === undefined && !closing) onFailure((error as Error).message)
    failure ??= error
    for (const w of waiting.values()) w.reject(error)
    waiting.clear()
  }
  const call = (request: Request, transfer: ArrayBuffer[] = []): Promise<unknown> => {
    if (failure !== undefined) return Promise.reject(failure)
    const id = nextId++
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject })
      worker.postMessage({ ...request, id }, transfer)
    })
  }
  return new Promise((resolve, reject) => {
    waiting.set(0, {
      resolve: () => resolve({
        append: async (group, receivedAt) => {
          const encoded = encodeGroup(group)
          const outcome = await call({ op: 'append', group: encoded, receivedAt }, [encoded.bytes.buffer as ArrayBuffer]) as GroupOutcome & { hashes: Uint8Array }
          return { ...outcome, hashes: Buffer.from(outcome.hashes.buffer, outcome.hashes.byteOffset, outcome.hashes.byteLength) }
        },
        request: (op, args) => call({ op, ...args } as Request),
        async close() {
          closing = true
          if (failure === undefined) await call({ op: 'close' }).catch(() => undefined)
          await worker.terminate()
        },
      }),
      reject,
    })
    worker.on('message', (reply: WriterReply) => {
      const w = waiting.get(reply.id)
      if (w === undefined) return
      waiting.delete(reply.id)
      if (reply.ok) w.resolve(reply.value)
      else if (reply.error.code?.startsWith('TT_ERR_')) w.reject(new TradetrailError(reply.error.code, reply.error.statusCode ?? 500, reply.error.message))
      else w.reject(Object.assign(new Error(`writer thread: ${reply.error.message}`), { code: reply.error.code }))
    })
    worker.on('error', (error) => fail(storeError(error)))
    worker.on('exit', () => fail(ERR_STORE_CLOSED.create()))
  })
}

/** Lets I/O run between the synchronous chunks of a long scan (a microtask would not). */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

function toEvent(r: [string, string]): StoredEvent {
  const event = JSON.parse(r[0]) as StoredEvent
  event.hash = r[1]
  return event
}
