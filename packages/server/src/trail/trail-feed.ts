/**
 * The commit feed (core/feed.ts) over a store. Commits by this process arrive through the
 * store's commit listener at once; commits by other processes (the CLI, another collector)
 * are found by polling the head every `pollMs`. Either way events enter the feed strictly in
 * seq order: a gap in front of a commit (another process wrote in between) is read back from
 * the store first. Recent events stay in memory for consumers that keep up; one that falls
 * behind reads its way forward from the store, without holding anyone else back.
 */
import type { Feed, FeedConsumer, FeedEvent, FeedSubscription, StoredEvent } from '@tradetrail/core'

/** An event as a store hands it to the feed (stores/sqlite CommittedEvent has this shape). */
export interface FeedRecord {
  seq: number
  project: string
  type: string
  severity: FeedEvent['severity']
  source: string | undefined
  tsKey: string
  /** See FeedEvent.flagged. */
  flagged: boolean
  /** Canonical JSON of the event without its hash. */
  canonical: string
  hash: Buffer
}

export interface FeedSource {
  /** Events with seq > afterSeq in seq order, at most `limit`. */
  read(afterSeq: number, limit: number): Promise<readonly FeedRecord[]>
  /** seq of the newest stored event. */
  head(): Promise<number>
}

export interface TrailFeedOptions {
  source: FeedSource
  /** seq the feed starts after (the head when the trail opened). */
  startAfter: number
  /** How often other processes' commits are looked for (default 50 ms: well under the 100 ms promised). */
  pollMs?: number
  /** Events kept in memory for consumers that keep up (default 4 096: the rest is read back). */
  memoryEvents?: number
  onError?: (error: unknown) => void
}

const CHUNK = 1000
const RETRY_MS = 1000

class RecordEvent implements FeedEvent {
  readonly seq: number
  readonly project: string
  readonly type: string
  readonly severity: FeedEvent['severity']
  readonly source: string | undefined
  readonly tsKey: string
  readonly #record: FeedRecord
  get flagged(): boolean { return this.#record.flagged }
  #json: string | undefined
  #event: StoredEvent | undefined

  constructor(r: FeedRecord) {
    this.seq = r.seq
    this.project = r.project
    this.type = r.type
    this.severity = r.severity
    this.source = r.source
    this.tsKey = r.tsKey
    this.#record = r
  }

  get json(): string {
    // The canonical text with the hash added as its last member: no parse, no stringify.
    return (this.#json ??= this.#record.canonical.slice(0, -1) + ',"hash":"' + this.#record.hash.toString('hex') + '"}')
  }

  event(): StoredEvent {
    return (this.#event ??= JSON.parse(this.json) as StoredEvent)
  }
}

interface Follower {
  cursor: number
  consumer: FeedConsumer
  busy: boolean
  closed: boolean
  onError: (error: unknown) => void
}

export class TrailFeed implements Feed {
  readonly #source: FeedSource
  readonly #memoryEvents: number
  readonly #onError: (error: unknown) => void
  readonly #followers = new Set<Follower>()
  #ring: FeedEvent[] = []
  #head: number
  /** Serialises what enters the feed, so that gap reads and commits keep seq order. */
  #entering: Promise<void> = Promise.resolve()
  #poll: NodeJS.Timeout | undefined
  #closed = false

  constructor(options: TrailFeedOptions) {
    this.#source = options.source
    this.#head = options.startAfter
    this.#memoryEvents = options.memoryEvents ?? 4096
    this.#onError = options.onError ?? (() => {})
    const pollMs = options.pollMs ?? 50
    if (pollMs > 0) this.#poll = setInterval(() => void this.poll(), pollMs).unref()
  }

  get head(): number {
    return this.#head
  }

  /** Takes the events a commit of this process stored (the store's commit listener). */
  committed(records: readonly FeedRecord[]): void {
    this.#enter(async () => {
      const fresh = records.filter((r) => r.seq > this.#head)
      if (fresh.length === 0) return
      await this.#catchUp(fresh[0]!.seq - 1)
      this.#add(fresh)
    })
  }

  /** Looks for commits of other processes now (the timer does this every pollMs). */
  poll(): Promise<void> {
    return this.#enter(async () => {
      await this.#catchUp(await this.#source.head())
    })
  }

  follow(afterSeq: number, consumer: FeedConsumer, options: { onError?: (error: unknown) => void } = {}): FeedSubscription {
    const follower: Follower = { cursor: afterSeq, consumer, busy: false, closed: false, onError: options.onError ?? this.#onError }
    this.#followers.add(follower)
    queueMicrotask(() => void this.#pump(follower))
    return {
      get cursor() { return follower.cursor },
      close: () => {
        follower.closed = true
        this.#followers.delete(follower)
      },
    }
  }

  close(): void {
    this.#closed = true
    clearInterval(this.#poll)
    for (const f of this.#followers) f.closed = true
    this.#followers.clear()
  }

  #enter(step: () => Promise<void>): Promise<void> {
    // Once closed, the store may be gone: a poll or commit still queued has nothing to do.
    const next = this.#entering.then(() => this.#closed ? undefined : step()).catch((error) => this.#onError(error))
    this.#entering = next
    return next
  }

  /** Reads what other processes stored up to `through`, so nothing enters out of order. */
  async #catchUp(through: number): Promise<void> {
    while (this.#head < through && !this.#closed) {
      const records = await this.#source.read(this.#head, Math.min(CHUNK, through - this.#head))
      if (records.length === 0) return
      this.#add(records)
    }
  }

  #add(records: readonly FeedRecord[]): void {
    for (const r of records) {
      if (r.seq !== this.#head + 1) {
        // Only a purge makes seq jump (the purged range was never followable); start over after it.
        if (r.seq <= this.#head) continue
        this.#ring = []
      }
      this.#ring.push(new RecordEvent(r))
      this.#head = r.seq
    }
    if (this.#ring.length > this.#memoryEvents * 1.5) this.#ring = this.#ring.slice(this.#ring.length - this.#memoryEvents)
    for (const f of this.#followers) if (!f.busy) void this.#pump(f)
  }

  /** Hands a follower everything after its cursor, a chunk at a time, waiting for it between chunks. */
  async #pump(f: Follower): Promise<void> {
    if (f.busy || f.closed) return
    f.busy = true
    try {
      while (!f.closed && f.cursor < this.#head) {
        let events: readonly FeedEvent[]
        try {
          events = await this.#after(f.cursor)
        } catch (error) {
          f.onError(error)
          await sleep(RETRY_MS)
          continue
        }
        if (events.length === 0) break
        try {
          await f.consumer(events)
          f.cursor = events[events.length - 1]!.seq
        } catch (error) {
          // The same events again after a pause: a consumer error never skips anything.
          f.onError(error)
          await sleep(RETRY_MS)
        }
      }
    } finally {
      f.busy = false
    }
    // Something may have arrived between the last look and clearing `busy`.
    if (!f.closed && f.cursor < this.#head) void this.#pump(f)
  }

  /** Up to CHUNK events after `cursor`: from memory when they are still there, else from the store. */
  async #after(cursor: number): Promise<readonly FeedEvent[]> {
    const first = this.#ring[0]?.seq
    if (first !== undefined && cursor + 1 >= first) {
      const start = cursor + 1 - first
      return this.#ring.slice(start, start + CHUNK)
    }
    const records = await this.#source.read(cursor, Math.min(CHUNK, this.#head - cursor))
    return records.map((r) => new RecordEvent(r))
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref())
}
