/**
 * Group commit: ingest requests that arrive while the store is busy share the next
 * transaction, so many small requests from many bots cost one fsync, not one each.
 * A request's promise settles only after the commit holding its batch is on disk.
 */
import type { AppendResult, PreparedEvent } from '@tradetrail/core'

interface Pending {
  batch: readonly PreparedEvent[]
  resolve: (result: AppendResult) => void
  reject: (error: unknown) => void
}

export interface GroupCommitOptions {
  /** Stores several batches in one durable transaction. */
  appendGroup: (batches: ReadonlyArray<readonly PreparedEvent[]>) => Promise<AppendResult[]>
  /** Most events in one transaction; more wait for the next (default 50 000). */
  maxGroupEvents?: number
  /** Observes each commit: events, batches and seconds taken. */
  onCommit?: (events: number, batches: number, seconds: number) => void
  onError?: (error: unknown, batches: number) => void
}

export class GroupCommitter {
  readonly #options: GroupCommitOptions
  readonly #maxGroupEvents: number
  #queue: Pending[] = []
  #running: Promise<void> | undefined

  constructor(options: GroupCommitOptions) {
    this.#options = options
    this.#maxGroupEvents = options.maxGroupEvents ?? 50_000
  }

  /** Queues a batch for the next commit; resolves with its own result once durable. */
  submit(batch: readonly PreparedEvent[]): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject })
      // Start on the next turn of the event loop, so every request parsed in this
      // turn joins the same transaction.
      this.#running ??= new Promise<void>((done) => setImmediate(done)).then(() => this.#drain())
    })
  }

  /** Batches waiting for a commit. */
  get pending(): number {
    return this.#queue.length
  }

  /** Resolves when everything submitted so far is committed (or failed). */
  async flush(): Promise<void> {
    while (this.#running !== undefined) await this.#running
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        let events = 0
        let take = 0
        while (take < this.#queue.length && (take === 0 || events + this.#queue[take]!.batch.length <= this.#maxGroupEvents)) {
          events += this.#queue[take]!.batch.length
          take++
        }
        const group = this.#queue.splice(0, take)
        const started = performance.now()
        try {
          const results = await this.#options.appendGroup(group.map((p) => p.batch))
          this.#options.onCommit?.(events, group.length, (performance.now() - started) / 1000)
          for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!)
        } catch (error) {
          this.#options.onError?.(error, group.length)
          for (const p of group) p.reject(error)
        }
        // Let requests parsed meanwhile join the next group.
        if (this.#queue.length > 0) await new Promise<void>((done) => setImmediate(done))
      }
    } finally {
      this.#running = undefined
    }
  }
}
