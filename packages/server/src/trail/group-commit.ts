/**
 * Group commit: ingest requests that arrive while the store is busy share the next
 * transaction, so many small requests from many bots cost one fsync, not one each.
 * A request's promise settles only after the commit holding its batch is on disk.
 */
import type { AppendBatch, AppendResult } from '@tradetrail/core'

interface Pending {
  batch: AppendBatch
  resolve: (result: AppendResult) => void
  reject: (error: unknown) => void
}

export interface GroupCommitOptions {
  /** Stores several batches in one durable transaction. */
  appendGroup: (batches: readonly AppendBatch[]) => Promise<AppendResult[]>
  /** Most events in one transaction; more wait for the next (default 50 000). */
  maxGroupEvents?: number
  /**
   * Groups handed to the store before the first is committed (default 1). More lets a store
   * that commits on another thread take the next group while it syncs the last one, so the
   * event loop and the writer work at the same time instead of taking turns.
   */
  maxInFlight?: number
  /** Observes each commit: events, batches and seconds taken. */
  onCommit?: (events: number, batches: number, seconds: number) => void
  onError?: (error: unknown, batches: number) => void
}

export class GroupCommitter {
  readonly #options: GroupCommitOptions
  readonly #maxGroupEvents: number
  readonly #maxInFlight: number
  #queue: Pending[] = []
  #inFlight = 0
  #scheduled = false
  #idle: Array<() => void> = []

  constructor(options: GroupCommitOptions) {
    this.#options = options
    this.#maxGroupEvents = options.maxGroupEvents ?? 50_000
    this.#maxInFlight = options.maxInFlight ?? 1
  }

  /** Queues a batch for the next commit; resolves with its own result once durable. */
  submit(batch: AppendBatch): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject })
      this.#schedule()
    })
  }

  /** Batches waiting for a commit. */
  get pending(): number {
    return this.#queue.length
  }

  /** Resolves when everything submitted so far is committed (or failed). */
  async flush(): Promise<void> {
    while (this.#queue.length > 0 || this.#inFlight > 0) await new Promise<void>((resolve) => this.#idle.push(resolve))
  }

  /** Starts groups on the next turn of the event loop, so every request parsed in this turn joins the same group. */
  #schedule(): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#start()
    })
  }

  #start(): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#maxInFlight) {
      let events = 0
      let take = 0
      while (take < this.#queue.length && (take === 0 || events + this.#queue[take]!.batch.events.length <= this.#maxGroupEvents)) {
        events += this.#queue[take]!.batch.events.length
        take++
      }
      this.#inFlight++
      void this.#commit(this.#queue.splice(0, take), events).finally(() => {
        this.#inFlight--
        if (this.#queue.length > 0) this.#schedule()
        else if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve()
      })
    }
  }

  async #commit(group: Pending[], events: number): Promise<void> {
    const started = performance.now()
    try {
      const results = await this.#options.appendGroup(group.map((p) => p.batch))
      this.#options.onCommit?.(events, group.length, (performance.now() - started) / 1000)
      for (let i = 0; i < group.length; i++) group[i]!.resolve(results[i]!)
    } catch (error) {
      this.#options.onError?.(error, group.length)
      for (const p of group) p.reject(error)
    }
  }
}
