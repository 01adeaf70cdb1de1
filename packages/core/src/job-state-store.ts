/**
 * The scheduler's memory: the last period each calendar job completed, so that a restarted
 * process neither runs a period twice nor misses the one that ended while it was down.
 * Every store adapter can hold it next to the trail.
 */
export interface JobStateStore {
  /** The key of the last period the job completed, or undefined if it never completed one. */
  lastRun(name: string): Promise<string | undefined>
  /**
   * Records that the job completed the period with this key. Keys of one job sort in time
   * order as plain strings (they are the period's first day, `YYYY-MM-DD`).
   */
  setLastRun(name: string, periodKey: string): Promise<void>
}
