/**
 * The storage contract. Adapters (SQLite in packages/server/src/sqlite, PostgreSQL
 * later) implement it; nothing above an adapter knows which database it talks to.
 * Every adapter runs the same contract suite (packages/server/test/contract).
 */
import type { CursorStore } from './cursor-store.ts'
import type { Severity, StoredEvent } from './event.ts'
import type { PreparedEvent } from './validate-event.ts'

/** How to open a store again: the adapter and its address (a file path, a database URL). */
export interface StoreLocator {
  kind: string
  address: string
}

/** What `append` did with a batch. */
export interface AppendResult {
  /** Events newly stored. */
  accepted: number
  /** Events whose id was already stored (or repeated within the batch): not stored again. */
  duplicates: number
  /** seq of the first and last newly stored event; null when nothing new was stored. */
  first_seq: number | null
  last_seq: number | null
}

/** Filters shared by queries, stats, exports and the live stream. Time bounds are timestamp keys (timestamp.ts). */
export interface EventFilter {
  project?: string
  /** Only events of these projects (a read token limited to projects); an empty list matches nothing. */
  projects?: readonly string[]
  type?: string
  /** Minimum severity. */
  severity?: Severity
  source?: string
  /** Inclusive lower bound on `ts`. */
  since?: string
  /** Exclusive upper bound on `ts`. */
  until?: string
  /** Full-text search over message, source, actor and data. */
  q?: string
  /** Only events with seq greater than this. */
  afterSeq?: number
  /** Only events with seq less than this. */
  beforeSeq?: number
}

export interface QueryOptions extends EventFilter {
  /** At most this many events. */
  limit: number
  /** `desc` (newest first, the default) or `asc` (by seq). */
  order?: 'asc' | 'desc'
}

export interface Stats {
  total: number
  by_project: Record<string, number>
  by_type: Record<string, number>
  by_severity: Record<string, number>
}

/** A signed statement that the trail's event `seq` had chain hash `hash` at `time`. */
export interface Checkpoint {
  seq: number
  /** Hex chain hash of event `seq`. */
  hash: string
  /** RFC 3339 UTC time the checkpoint was signed. */
  time: string
  /** First 16 hex digits of SHA-256 of the raw public key that signed it. */
  key_id: string
  /** Base64 Ed25519 signature over checkpointPayload(). */
  signature: string
}

/**
 * What retention leaves where it purged everything up to and including `seq`: the checkpoint of
 * the last purged event, and the purge it ends. Since 0.2 an anchor signs, besides `seq`, `hash`
 * and `time`, the purge's count and policy, in a payload of its own (anchorPayload); an anchor
 * written before (a *legacy* anchor) has none of the optional members and signs what a
 * checkpoint signs (docs/verification.md §8).
 */
export interface Anchor extends Checkpoint {
  /** Number of events purged in the purge that wrote this anchor. */
  purged: number
  /** received_at of the newest event purged (the one at `seq`). */
  newest_received_at?: string
  /** The minimum retention in force (ms): younger events are purged only with `below_minimum`. */
  min_retention_ms?: number
  /** The retention the purge applied (ms): it purged events received longer ago than this. */
  retention_ms?: number
  /** The reason given to purge below the minimum retention, or null when the purge kept to it. */
  below_minimum?: string | null
}

/** Whether an anchor was written before anchors signed their purge's policy (it then signs a checkpoint's payload). */
export function isLegacyAnchor(anchor: Anchor): boolean {
  return anchor.newest_received_at === undefined
}

/** The end of the chain: the last stored event, or the anchor / genesis when there is none. */
export interface ChainHead {
  seq: number
  hash: Buffer
}

/** One row of a verification scan: the canonical text the hash covers, as stored, and the stored hash. */
export interface ChainRecord {
  seq: number
  /** Canonical JSON of the event without its hash (hash-chain.ts). */
  canonical: string
  /** The stored chain hash, hex. */
  hash: string
}

/** A batch to append and who submitted it (`token:<id>`, `cli:<user>@<host>`, `collector`). */
export interface AppendBatch {
  events: readonly PreparedEvent[]
  submitter?: string
}

export interface EventStore extends CursorStore {
  /**
   * Stores a validated batch atomically and durably (returns after the commit is on
   * disk). Ids already stored are counted as duplicates and not stored again. Assigns
   * gap-free `seq`, `received_at` and the chain hash.
   */
  append(batch: readonly PreparedEvent[], submitter?: string): Promise<AppendResult>
  /**
   * Stores several batches in one transaction and one fsync (group commit), each batch
   * with its own result. All or none are stored.
   */
  appendGroup(batches: readonly AppendBatch[]): Promise<AppendResult[]>
  get(id: string): Promise<StoredEvent | undefined>
  query(options: QueryOptions): Promise<StoredEvent[]>
  stats(filter: EventFilter): Promise<Stats>
  /** Events matching `filter` in seq order, a chunk at a time, without loading everything. */
  scan(filter: EventFilter, chunkSize?: number): AsyncIterable<StoredEvent[]>
  /** Chain records with afterSeq < seq ≤ throughSeq (default: all) in seq order, a chunk at a time. */
  scanChain(afterSeq: number, chunkSize?: number, throughSeq?: number): AsyncIterable<ChainRecord[]>
  /** The stored chain hash of event `seq`, if it is stored. */
  hashAt(seq: number): Promise<Buffer | undefined>
  head(): Promise<ChainHead>
  /** Events stored (not counting purged ones). */
  count(): Promise<number>
  addCheckpoint(checkpoint: Checkpoint): Promise<void>
  /** Checkpoints with seq > afterSeq (default 0) in seq order, at most `limit` (default all). */
  checkpoints(afterSeq?: number, limit?: number): Promise<Checkpoint[]>
  /** How many checkpoints have seq > afterSeq. */
  countCheckpoints(afterSeq: number): Promise<number>
  /** The checkpoint with the highest seq, if any. */
  latestCheckpoint(): Promise<Checkpoint | undefined>
  /** The most recent retention anchor, if anything was ever purged. */
  anchor(): Promise<Anchor | undefined>
  /** Every retention anchor, one per purge, in seq order. */
  anchors(): Promise<Anchor[]>
  /** The highest seq whose received_at is before `time` (RFC 3339), or 0. */
  lastSeqReceivedBefore(time: string): Promise<number>
  /**
   * Deletes every event with seq ≤ anchor.seq and records the anchor, in one transaction, and
   * returns true. When `holdsPlaced` is given and the trail no longer holds exactly that many
   * legal holds (HoldStore: one was placed since the purge was planned), it does nothing and
   * returns false.
   */
  purge(anchor: Anchor, holdsPlaced?: number): Promise<boolean>
  /** Where this store lives, so another thread or process can open it too (parallel verify). */
  readonly locator: StoreLocator
  close(): Promise<void>
}
