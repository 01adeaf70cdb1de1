/**
 * The composition root for a trail in a local data directory: the SQLite store, the
 * checkpoint key and the checkpoint schedule. The CLI opens one per command; the
 * collector opens one for its lifetime.
 */
import { join } from 'node:path'
import { type AppendResult, type Clock, type PreparedEvent, systemClock } from '@tradetrail/core'
import { CheckpointSigner } from './checkpoint-signer.ts'
import { Checkpointer } from './checkpointer.ts'
import { prepareDataDir } from './data-dir.ts'
import { SqliteEventStore } from './sqlite/sqlite-event-store.ts'

export const DATABASE_FILE = 'trail.db'
export const KEYS_DIR = 'keys'

export interface LocalTrailOptions {
  dataDir: string
  /** Refuse a data directory on tmpfs or under /tmp in a container. */
  strict?: boolean
  clock?: Clock
  /** Receives the data directory warnings (default: printed to stderr). */
  onWarning?: (message: string) => void
  checkpointEvery?: number
  checkpointIntervalMs?: number
}

export class LocalTrail {
  readonly dataDir: string
  readonly store: SqliteEventStore
  readonly signer: CheckpointSigner
  readonly checkpointer: Checkpointer
  readonly clock: Clock
  #appended = false

  constructor(options: LocalTrailOptions) {
    const check = prepareDataDir(options.dataDir, { strict: options.strict })
    const warn = options.onWarning ?? ((message: string) => process.stderr.write(`WARNING: ${message}\n`))
    for (const warning of check.warnings) warn(warning)
    this.dataDir = check.path
    this.clock = options.clock ?? systemClock
    this.signer = CheckpointSigner.open(join(check.path, KEYS_DIR))
    this.store = new SqliteEventStore({ path: join(check.path, DATABASE_FILE), clock: this.clock })
    this.checkpointer = new Checkpointer({
      store: this.store, signer: this.signer, clock: this.clock,
      every: options.checkpointEvery, intervalMs: options.checkpointIntervalMs,
    })
  }

  /** Appends a validated batch durably and signs a checkpoint when one is due. */
  async append(batch: readonly PreparedEvent[]): Promise<AppendResult> {
    return (await this.appendGroup([batch]))[0]!
  }

  /** Appends several batches in one transaction (group commit), then checkpoints when due. */
  async appendGroup(batches: ReadonlyArray<readonly PreparedEvent[]>): Promise<AppendResult[]> {
    const results = await this.store.appendGroup(batches)
    let last = 0
    for (const r of results) if (r.last_seq !== null) last = r.last_seq
    if (last > 0) {
      this.#appended = true
      await this.checkpointer.afterAppend(last)
    }
    return results
  }

  /** Closes; after appending, signs a checkpoint of the head first, so the tail cannot be cut silently. */
  async close(): Promise<void> {
    try {
      if (this.#appended) await this.checkpointer.checkpoint()
    } finally {
      await this.store.close()
    }
  }
}
