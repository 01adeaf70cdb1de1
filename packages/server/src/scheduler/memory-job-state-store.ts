import type { JobStateStore } from '@tradetrail/core'

/** A {@link JobStateStore} held in memory: for tests, and for a process that may forget on restart. */
export class MemoryJobStateStore implements JobStateStore {
  readonly #lastRuns = new Map<string, string>()

  async lastRun(name: string): Promise<string | undefined> {
    return this.#lastRuns.get(name)
  }

  async setLastRun(name: string, periodKey: string): Promise<void> {
    this.#lastRuns.set(name, periodKey)
  }
}
