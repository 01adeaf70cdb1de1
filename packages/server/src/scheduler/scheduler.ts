/**
 * Runs jobs at UTC calendar instants (daily, weekly on Mondays, monthly on the 1st), at fixed
 * intervals, or once after a delay, on an injected {@link Clock} so that tests drive time exactly.
 *
 * Calendar jobs record each period they complete in a {@link JobStateStore}, so a restarted
 * process neither runs a period twice nor misses one. It does not replay every period it
 * missed, though: on start, and at every occasion, a job whose last completed period is older
 * than the latest finished one runs once, for the latest finished one. A daily summary after
 * a week of downtime is yesterday's, not seven at once; a job that must cover the gap can
 * read it from `period` and its own records.
 */
import { type Clock, ERR_CONFIG_INVALID, type JobStateStore, type Timer } from '@tradetrail/core'

export type PeriodKind = 'day' | 'week' | 'month'

/** A finished calendar period (UTC) that a calendar job runs for. */
export interface Period {
  kind: PeriodKind
  /** Its first day, `YYYY-MM-DD`; also the key the job's completion is recorded under. */
  start: string
  /** The day after its last day, `YYYY-MM-DD` (exclusive end). */
  end: string
}

export interface SchedulerOptions {
  clock: Clock
  /** Where calendar jobs record the periods they completed. */
  state: JobStateStore
  /**
   * Told about every run that throws (and every state store failure), with the job's name.
   * The job is not marked done and runs again at its next occasion. Must not throw.
   */
  onError: (error: unknown, job: string) => void
}

export interface CalendarJobOptions {
  /** Unique among the scheduler's recurring jobs; keys the job's state, so keep it stable across releases. */
  name: string
  /** UTC time of day of the occasion, `HH:MM` (default `00:00`). */
  at?: string
  /** After a failed run, try again this long after instead of at the next occasion (a month away for monthly jobs). */
  retryMs?: number
  run: (period: Period) => Promise<void> | void
}

export interface IntervalJobOptions {
  /** Unique among the scheduler's recurring jobs. */
  name: string
  /** Runs at start + everyMs, start + 2 × everyMs, …; an occasion that comes while the job still runs is skipped. */
  everyMs: number
  /** Also run once at start (default false). */
  runAtStart?: boolean
  run: () => Promise<void> | void
}

export interface OneShotOptions {
  /** Names the job in `onError`; need not be unique. */
  name: string
  delayMs: number
  run: () => Promise<void> | void
}

/** A job as scheduled. */
export interface ScheduledJob {
  readonly name: string
  /** No further runs. A run in progress goes on to its end; `close()` waits for it. */
  cancel(): void
}

const DAY_MS = 86_400_000
const WEEK_MS = 7 * DAY_MS
/** 1970-01-05, the first Monday after the epoch: ISO weeks start on Mondays. */
const FIRST_MONDAY_MS = 4 * DAY_MS
const TIME_OF_DAY = /^([01]\d|2[0-3]):([0-5]\d)$/

/** The start of the period of this kind that contains `ms`. */
function periodStartMs(kind: PeriodKind, ms: number): number {
  switch (kind) {
    case 'day': return Math.floor(ms / DAY_MS) * DAY_MS
    case 'week': return Math.floor((ms - FIRST_MONDAY_MS) / WEEK_MS) * WEEK_MS + FIRST_MONDAY_MS
    case 'month': {
      const date = new Date(ms)
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)
    }
  }
}

/** The start of the period `n` periods after the one that starts at `startMs`. */
function shiftPeriodMs(kind: PeriodKind, startMs: number, n: number): number {
  switch (kind) {
    case 'day': return startMs + n * DAY_MS
    case 'week': return startMs + n * WEEK_MS
    case 'month': {
      const date = new Date(startMs)
      // Date.UTC carries months over into years (month -1 is last December, 12 next January).
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + n, 1)
    }
  }
}

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)

/**
 * The latest period whose occasion (its end plus `atMs`) is not after `nowMs`, and the
 * occasion after that one.
 */
function latestFinished(kind: PeriodKind, atMs: number, nowMs: number): { period: Period; nextOccasionMs: number } {
  const endMs = periodStartMs(kind, nowMs - atMs)
  return {
    period: { kind, start: isoDay(shiftPeriodMs(kind, endMs, -1)), end: isoDay(endMs) },
    nextOccasionMs: shiftPeriodMs(kind, endMs, 1) + atMs,
  }
}

/** One scheduled job's timers and run; the run in progress is why a job never overlaps itself. */
class ActiveJob {
  timer: Timer | undefined
  retry: Timer | undefined
  running: Promise<void> | undefined
  /** An occasion came during the run: serve it when the run ends. */
  pending = false
  cancelled = false
  /** No occasion will come again (cancelled, or a one-shot that fired): forget the job once its run ends. */
  finished = false
  constructor(readonly name: string, readonly recurring: boolean) {}
}

/**
 * Runs calendar, interval and one-shot jobs on a clock; see the file comment for missed periods.
 * Its timers do not keep the process alive (see {@link Clock.setTimer}): the collector's
 * server does, so a process that only schedules must hold itself open.
 */
export class Scheduler {
  readonly #clock: Clock
  readonly #state: JobStateStore
  readonly #onError: (error: unknown, job: string) => void
  readonly #jobs = new Set<ActiveJob>()
  readonly #recurringNames = new Set<string>()
  #closed = false

  constructor(options: SchedulerOptions) {
    this.#clock = options.clock
    this.#state = options.state
    this.#onError = options.onError
  }

  /**
   * Every day at `at` (UTC, default 00:00), runs for the day before. A job seen for the
   * first time owes nothing for the days before it was scheduled: its state starts at the
   * latest finished day, without a run.
   */
  daily(job: CalendarJobOptions): ScheduledJob { return this.#calendar('day', job) }
  /** Every Monday at `at` (UTC, default 00:00), runs for the week (Monday to Sunday) before; as `daily` otherwise. */
  weekly(job: CalendarJobOptions): ScheduledJob { return this.#calendar('week', job) }
  /** On the 1st of every month at `at` (UTC, default 00:00), runs for the month before; as `daily` otherwise. */
  monthly(job: CalendarJobOptions): ScheduledJob { return this.#calendar('month', job) }

  /** Runs every `everyMs` from now (a checkpoint interval, retention once a day). */
  every(job: IntervalJobOptions): ScheduledJob {
    const { name, everyMs, run } = job
    this.#checkJob(name, run)
    this.#check(name, 'everyMs', everyMs, Number.isFinite(everyMs) && everyMs > 0, 'must be a positive number of milliseconds')
    const active = this.#add(name, true)
    const nowMs = (): number => this.#clock.nowMicros() / 1000
    const work = async (): Promise<void> => { await run() }
    const arm = (dueMs: number): void => {
      active.timer = this.#clock.setTimer(dueMs - nowMs(), () => {
        const firedMs = nowMs()
        // setTimeout may fire a little early by the wall clock; after a suspend, late by many periods.
        if (firedMs < dueMs) return arm(dueMs)
        arm(dueMs + everyMs * (Math.floor((firedMs - dueMs) / everyMs) + 1))
        this.#start(active, work, false)
      })
    }
    arm(nowMs() + everyMs)
    if (job.runAtStart === true) this.#start(active, work, false)
    return this.#handle(active)
  }

  /** Runs once, `delayMs` from now (an escalation after 10 minutes). */
  after(job: OneShotOptions): ScheduledJob {
    const { name, delayMs, run } = job
    this.#checkJob(name, run)
    this.#check(name, 'delayMs', delayMs, Number.isFinite(delayMs) && delayMs >= 0, 'must be a non-negative number of milliseconds')
    const active = this.#add(name, false)
    active.timer = this.#clock.setTimer(delayMs, () => {
      active.timer = undefined
      this.#start(active, async () => { await run() }, false)
      active.finished = true
    })
    return this.#handle(active)
  }

  /** Resolves once no job is running (runs that start meanwhile are waited for too). */
  async idle(): Promise<void> {
    for (;;) {
      const runs = [...this.#jobs].flatMap((job) => (job.running === undefined ? [] : [job.running]))
      if (runs.length === 0) return
      await Promise.allSettled(runs)
    }
  }

  /** Cancels every job and waits for the runs in progress. */
  async close(): Promise<void> {
    this.#closed = true
    for (const job of this.#jobs) this.#cancel(job)
    await this.idle()
  }

  #calendar(kind: PeriodKind, job: CalendarJobOptions): ScheduledJob {
    const { name, at = '00:00', retryMs, run } = job
    this.#checkJob(name, run)
    const time = TIME_OF_DAY.exec(at)
    this.#check(name, 'at', at, time !== null, 'must be a UTC time of day, HH:MM')
    this.#check(name, 'retryMs', String(retryMs), retryMs === undefined || (Number.isFinite(retryMs) && retryMs > 0), 'must be a positive number of milliseconds')
    const atMs = (Number(time![1]) * 60 + Number(time![2])) * 60_000
    const active = this.#add(name, true)
    let starting = true

    const work = async (): Promise<void> => {
      const isStart = starting
      starting = false
      const { period } = latestFinished(kind, atMs, this.#clock.nowMicros() / 1000)
      try {
        const last = await this.#state.lastRun(name)
        if (last === undefined && isStart) return await this.#state.setLastRun(name, period.start)
        if (last !== undefined && last >= period.start) return
        await run(period)
        // Done only once recorded: if recording fails, the period runs again (at least once, never skipped).
        await this.#state.setLastRun(name, period.start)
      } catch (error) {
        if (retryMs !== undefined && !active.cancelled) {
          active.retry?.cancel()
          active.retry = this.#clock.setTimer(retryMs, () => this.#start(active, work, true))
        }
        throw error
      }
    }
    const arm = (): void => {
      const nowMs = this.#clock.nowMicros() / 1000
      // Fired early by the wall clock, this re-arms for the same occasion and the run below finds nothing due.
      active.timer = this.#clock.setTimer(latestFinished(kind, atMs, nowMs).nextOccasionMs - nowMs, () => {
        arm()
        this.#start(active, work, true)
      })
    }
    arm()
    this.#start(active, work, true)
    return this.#handle(active)
  }

  #check(name: string, option: string, value: unknown, ok: boolean, reason: string): void {
    if (!ok) throw ERR_CONFIG_INVALID.create(`scheduler job "${name}" option ${option}`, String(value), reason)
  }

  /** Checks name and run first, so that the other options' messages can name the job. */
  #checkJob(name: string, run: unknown): void {
    this.#check(name, 'name', name, typeof name === 'string' && name !== '', 'must be a non-empty string')
    this.#check(name, 'run', typeof run, typeof run === 'function', 'must be a function')
  }

  #add(name: string, recurring: boolean): ActiveJob {
    if (this.#closed) throw ERR_CONFIG_INVALID.create(`scheduler job "${name}"`, '', 'was scheduled after the scheduler was closed')
    if (recurring) {
      if (this.#recurringNames.has(name)) throw ERR_CONFIG_INVALID.create(`scheduler job "${name}"`, '', 'is already scheduled; recurring jobs need unique names')
      this.#recurringNames.add(name)
    }
    const job = new ActiveJob(name, recurring)
    this.#jobs.add(job)
    return job
  }

  #handle(job: ActiveJob): ScheduledJob {
    return Object.freeze({ name: job.name, cancel: () => this.#cancel(job) })
  }

  /** Starts a run unless one is in progress; then the occasion waits for its end if `queue`, else it is skipped. */
  #start(job: ActiveJob, work: () => Promise<void>, queue: boolean): void {
    if (job.cancelled) return
    if (job.running !== undefined) {
      if (queue) job.pending = true
      return
    }
    job.running = work()
      .catch((error: unknown) => this.#onError(error, job.name))
      .finally(() => {
        job.running = undefined
        const again = job.pending
        job.pending = false
        if (again) this.#start(job, work, queue)
        if (job.running === undefined && job.finished) this.#jobs.delete(job)
      })
  }

  #cancel(job: ActiveJob): void {
    if (job.cancelled) return
    job.cancelled = true
    job.finished = true
    job.pending = false
    job.timer?.cancel()
    job.retry?.cancel()
    if (job.recurring) this.#recurringNames.delete(job.name)
    if (job.running === undefined) this.#jobs.delete(job)
  }
}
