import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ERR_CONFIG_INVALID, ManualClock } from '@tradetrail/core'
import { MemoryJobStateStore } from '../src/scheduler/memory-job-state-store.ts'
import { type Period, Scheduler } from '../src/scheduler/scheduler.ts'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const iso = (clock: ManualClock): string => new Date(clock.nowMicros() / 1000).toISOString()

interface Run { at: string; period?: Period }

/** A scheduler on a manual clock, and what its jobs did. */
function setup(startIso: string, state = new MemoryJobStateStore(), clock = new ManualClock(Date.parse(startIso))) {
  const errors: Array<{ job: string; message: string }> = []
  const scheduler = new Scheduler({ clock, state, onError: (error, job) => errors.push({ job, message: (error as Error).message }) })
  const runs = new Map<string, Run[]>()
  const record = (name: string) => (period?: Period): void => {
    const list = runs.get(name) ?? []
    list.push(period === undefined ? { at: iso(clock) } : { at: iso(clock), period })
    runs.set(name, list)
  }
  const runsOf = (name: string): Run[] => runs.get(name) ?? []
  /** Moves the clock a minute at a time, letting the jobs finish between steps, as time would. */
  const advance = async (ms: number, stepMs = MINUTE): Promise<void> => {
    await scheduler.idle()
    for (let left = ms; left > 0; left -= stepMs) {
      clock.advanceMs(Math.min(stepMs, left))
      await scheduler.idle()
    }
  }
  return { clock, state, scheduler, errors, record, runsOf, advance }
}

const day = (start: string, end: string): Period => ({ kind: 'day', start, end })

test('a daily job at 00:00 UTC and a 10-minute timer each fire exactly once across the day boundary', async () => {
  const { scheduler, record, runsOf, advance, errors, clock } = setup('2025-12-17T23:55:00Z')
  scheduler.daily({ name: 'daily-summary', run: record('daily-summary') })
  scheduler.after({ name: 'escalate', delayMs: 10 * MINUTE, run: record('escalate') })
  await advance(DAY - HOUR)
  assert.deepEqual(runsOf('daily-summary'), [{ at: '2025-12-18T00:00:00.000Z', period: day('2025-12-17', '2025-12-18') }])
  assert.deepEqual(runsOf('escalate'), [{ at: '2025-12-18T00:05:00.000Z' }])
  assert.deepEqual(errors, [])
  assert.equal(clock.pendingTimers(), 1, 'only the daily job\'s next occasion')
  await scheduler.close()
  assert.equal(clock.pendingTimers(), 0)
})

test('a job seen for the first time owes nothing for the days before it was scheduled', async () => {
  const { scheduler, state, record, runsOf } = setup('2025-12-17T15:00:00Z')
  scheduler.daily({ name: 'daily-summary', run: record('daily-summary') })
  await scheduler.idle()
  assert.deepEqual(runsOf('daily-summary'), [])
  assert.equal(await state.lastRun('daily-summary'), '2025-12-16', 'yesterday counts as done, so a restart after midnight still owes today')
  await scheduler.close()
})

test('a restart after the boundary neither repeats the day nor skips the next', async () => {
  const state = new MemoryJobStateStore()
  const first = setup('2025-12-17T23:00:00Z', state)
  first.scheduler.daily({ name: 'daily-summary', run: first.record('daily-summary') })
  await first.advance(HOUR + 10 * MINUTE)
  assert.deepEqual(first.runsOf('daily-summary'), [{ at: '2025-12-18T00:00:00.000Z', period: day('2025-12-17', '2025-12-18') }])
  await first.scheduler.close()

  const second = setup('2025-12-18T00:30:00Z', state)
  second.scheduler.daily({ name: 'daily-summary', run: second.record('daily-summary') })
  await second.advance(DAY)
  assert.deepEqual(second.runsOf('daily-summary'), [{ at: '2025-12-19T00:00:00.000Z', period: day('2025-12-18', '2025-12-19') }],
    'not 2025-12-17 again, and 2025-12-18 at its time')
  await second.scheduler.close()
})

test('a day that ended while the process was down runs at restart, once', async () => {
  const state = new MemoryJobStateStore()
  const first = setup('2025-12-17T22:00:00Z', state)
  first.scheduler.daily({ name: 'daily-summary', run: first.record('daily-summary') })
  await first.advance(HOUR)
  await first.scheduler.close() // down from 23:00 to 00:30

  const second = setup('2025-12-18T00:30:00Z', state)
  second.scheduler.daily({ name: 'daily-summary', run: second.record('daily-summary') })
  await second.advance(2 * HOUR)
  assert.deepEqual(second.runsOf('daily-summary'), [{ at: '2025-12-18T00:30:00.000Z', period: day('2025-12-17', '2025-12-18') }])
  await second.scheduler.close()

  const third = setup('2025-12-25T09:00:00Z', state) // down for a week: the latest day only, not seven
  third.scheduler.daily({ name: 'daily-summary', run: third.record('daily-summary') })
  await third.advance(HOUR)
  assert.deepEqual(third.runsOf('daily-summary'), [{ at: '2025-12-25T09:00:00.000Z', period: day('2025-12-24', '2025-12-25') }])
  await third.scheduler.close()
})

test('daily at a later UTC time reports the day before, across Feb 28 and Feb 29 of a leap year', async () => {
  const { scheduler, record, runsOf, advance } = setup('2024-02-27T12:00:00Z')
  scheduler.daily({ name: 'morning', at: '06:30', run: record('morning') })
  await advance(3 * DAY)
  assert.deepEqual(runsOf('morning'), [
    { at: '2024-02-28T06:30:00.000Z', period: day('2024-02-27', '2024-02-28') },
    { at: '2024-02-29T06:30:00.000Z', period: day('2024-02-28', '2024-02-29') },
    { at: '2024-03-01T06:30:00.000Z', period: day('2024-02-29', '2024-03-01') },
  ])
  await scheduler.close()
})

test('monthly runs on the 1st at 00:00 UTC for the month that ended: Jan 31 → Feb 1, Feb 29 → Mar 1, Dec 31 → Jan 1', async () => {
  const cases: Array<[string, Period]> = [
    ['2025-01-31T23:00:00Z', { kind: 'month', start: '2025-01-01', end: '2025-02-01' }],
    ['2025-02-28T23:00:00Z', { kind: 'month', start: '2025-02-01', end: '2025-03-01' }],
    ['2024-02-28T23:00:00Z', { kind: 'month', start: '2024-02-01', end: '2024-03-01' }],
    ['2025-12-31T23:00:00Z', { kind: 'month', start: '2025-12-01', end: '2026-01-01' }],
  ]
  for (const [startIso, period] of cases) {
    const { scheduler, record, runsOf, advance } = setup(startIso)
    scheduler.monthly({ name: 'monthly-summary', run: record('monthly-summary') })
    await advance(2 * DAY + 2 * HOUR, 10 * MINUTE)
    assert.deepEqual(runsOf('monthly-summary'), [{ at: `${period.end}T00:00:00.000Z`, period }], startIso)
    await scheduler.close()
  }
})

test('monthly waits a whole month, more than setTimeout can in one go', async () => {
  const { scheduler, record, runsOf, clock } = setup('2025-01-01T00:30:00Z')
  scheduler.monthly({ name: 'monthly-summary', run: record('monthly-summary') })
  clock.setMs(Date.parse('2025-01-31T23:59:59.999Z'))
  await scheduler.idle()
  assert.deepEqual(runsOf('monthly-summary'), [])
  clock.advanceMs(1)
  await scheduler.idle()
  assert.deepEqual(runsOf('monthly-summary'), [{ at: '2025-02-01T00:00:00.000Z', period: { kind: 'month', start: '2025-01-01', end: '2025-02-01' } }])
  await scheduler.close()
})

test('weekly runs on Monday 00:00 UTC for the ISO week before, also across the year end', async () => {
  const { scheduler, record, runsOf, advance } = setup('2025-12-17T12:00:00Z') // a Wednesday
  scheduler.weekly({ name: 'weekly-summary', run: record('weekly-summary') })
  await advance(14 * DAY, 15 * MINUTE)
  assert.deepEqual(runsOf('weekly-summary'), [
    { at: '2025-12-22T00:00:00.000Z', period: { kind: 'week', start: '2025-12-15', end: '2025-12-22' } },
    { at: '2025-12-29T00:00:00.000Z', period: { kind: 'week', start: '2025-12-22', end: '2025-12-29' } },
  ])
  await advance(7 * DAY, HOUR)
  assert.deepEqual(runsOf('weekly-summary').at(-1), { at: '2026-01-05T00:00:00.000Z', period: { kind: 'week', start: '2025-12-29', end: '2026-01-05' } })
  assert.equal(new Date('2026-01-05').getUTCDay(), 1, 'a Monday')
  await scheduler.close()
})

test('a failing calendar job is reported, not marked done, and retried at its next occasion', async () => {
  const { scheduler, state, errors, runsOf, record, advance } = setup('2025-12-17T23:30:00Z')
  let failures = 1
  scheduler.daily({
    name: 'daily-summary',
    run: (period) => {
      if (failures-- > 0) throw new Error('SMTP is down')
      record('daily-summary')(period)
    },
  })
  await advance(HOUR)
  assert.deepEqual(errors, [{ job: 'daily-summary', message: 'SMTP is down' }])
  assert.equal(await state.lastRun('daily-summary'), '2025-12-16')
  await advance(DAY)
  assert.deepEqual(runsOf('daily-summary'), [{ at: '2025-12-19T00:00:00.000Z', period: day('2025-12-18', '2025-12-19') }],
    'the next occasion runs the latest finished day (missed days are not replayed)')
  assert.equal(await state.lastRun('daily-summary'), '2025-12-18')
  await scheduler.close()
})

test('with retryMs a failed period is retried sooner, until it succeeds', async () => {
  const { scheduler, errors, runsOf, record, advance } = setup('2025-12-17T23:30:00Z')
  let failures = 2
  scheduler.monthly({
    name: 'monthly-summary',
    retryMs: 15 * MINUTE,
    run: async (period) => {
      if (failures-- > 0) throw new Error('SMTP is down')
      record('monthly-summary')(period)
    },
  })
  await advance(DAY)
  assert.deepEqual(runsOf('monthly-summary'), [])
  await advance(13 * DAY, HOUR)
  await advance(2 * HOUR)
  assert.equal(errors.length, 2)
  assert.deepEqual(runsOf('monthly-summary'), [{ at: '2026-01-01T00:30:00.000Z', period: { kind: 'month', start: '2025-12-01', end: '2026-01-01' } }])
  await scheduler.close()
})

test('a state store that fails is reported like a failing job, and the period runs again', async () => {
  const state = new MemoryJobStateStore()
  const { scheduler, errors, runsOf, record, advance } = setup('2025-12-17T23:30:00Z', state)
  scheduler.daily({ name: 'daily-summary', retryMs: MINUTE, run: record('daily-summary') })
  await scheduler.idle()
  const setLastRun = state.setLastRun.bind(state)
  let failures = 1
  state.setLastRun = async (name, key) => {
    if (failures-- > 0) throw new Error('database is locked')
    return setLastRun(name, key)
  }
  await advance(HOUR)
  assert.deepEqual(errors, [{ job: 'daily-summary', message: 'database is locked' }])
  assert.deepEqual(runsOf('daily-summary').map((run) => run.at), ['2025-12-18T00:00:00.000Z', '2025-12-18T00:01:00.000Z'],
    'at least once: run again, since its completion was not recorded')
  assert.equal(await state.lastRun('daily-summary'), '2025-12-17')
  await scheduler.close()
})

test('interval jobs run every N ms from start, skip occasions while still running, and retry after a failure', async () => {
  const { scheduler, errors, runsOf, record, advance, clock } = setup('2025-12-17T23:59:00Z')
  scheduler.every({ name: 'retention', everyMs: DAY, runAtStart: true, run: record('retention') })
  let calls = 0
  let release: (() => void) | undefined
  scheduler.every({
    name: 'checkpoint',
    everyMs: 10_000,
    run: async () => {
      calls++
      record('checkpoint')()
      if (calls === 2) throw new Error('disk full')
      if (calls === 3) await new Promise<void>((resolve) => { release = resolve })
    },
  })
  await advance(20_000, 10_000)
  assert.deepEqual(runsOf('checkpoint').map((run) => run.at), ['2025-12-17T23:59:10.000Z', '2025-12-17T23:59:20.000Z'])
  assert.deepEqual(errors, [{ job: 'checkpoint', message: 'disk full' }])
  clock.advanceMs(10_000) // the third run hangs…
  await new Promise((resolve) => setImmediate(resolve))
  clock.advanceMs(30_000) // …so these three occasions are skipped
  release!()
  await advance(10_000, 10_000)
  assert.deepEqual(runsOf('checkpoint').map((run) => run.at).slice(2), ['2025-12-17T23:59:30.000Z', '2025-12-18T00:00:10.000Z'])
  await advance(DAY)
  assert.deepEqual(runsOf('retention').map((run) => run.at), ['2025-12-17T23:59:00.000Z', '2025-12-18T23:59:00.000Z'])
  await scheduler.close()
})

test('a calendar occasion that comes during a run is served when the run ends, never alongside it', async () => {
  const { scheduler, runsOf, clock } = setup('2025-12-17T23:00:00Z')
  let running = 0
  let most = 0
  const releases: Array<() => void> = []
  const runs: Period[] = []
  scheduler.daily({
    name: 'slow',
    run: async (period) => {
      running++
      most = Math.max(most, running)
      runs.push(period)
      await new Promise<void>((resolve) => releases.push(resolve))
      running--
    },
  })
  await scheduler.idle()
  clock.advanceMs(HOUR) // 2025-12-18 00:00: the run for 2025-12-17 starts and hangs
  await new Promise((resolve) => setImmediate(resolve))
  clock.advanceMs(DAY) // 2025-12-19 00:00 comes while it still runs
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(runs.length, 1)
  releases.shift()!()
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(runs, [day('2025-12-17', '2025-12-18'), day('2025-12-18', '2025-12-19')])
  assert.equal(most, 1)
  const closed = scheduler.close()
  let done = false
  void closed.then(() => { done = true })
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(done, false, 'close() waits for the run in progress')
  releases.shift()!()
  await closed
  assert.deepEqual(runsOf('slow'), [])
})

test('timers that fire a little early, as setTimeout can by the wall clock, run nothing early and nothing twice', async () => {
  class EarlyClock extends ManualClock {
    override setTimer(delayMs: number, fn: () => void) { return super.setTimer(delayMs > 1 ? delayMs - 1 : delayMs, fn) }
  }
  const { scheduler, runsOf, record, advance } = setup('2025-12-17T23:59:50Z', new MemoryJobStateStore(), new EarlyClock(Date.parse('2025-12-17T23:59:50Z')))
  scheduler.daily({ name: 'daily-summary', run: record('daily-summary') })
  scheduler.every({ name: 'checkpoint', everyMs: 5_000, run: record('checkpoint') })
  await advance(20_000, 1)
  assert.deepEqual(runsOf('daily-summary'), [{ at: '2025-12-18T00:00:00.000Z', period: day('2025-12-17', '2025-12-18') }])
  assert.deepEqual(runsOf('checkpoint').map((run) => run.at), ['2025-12-17T23:59:55.000Z', '2025-12-18T00:00:00.000Z', '2025-12-18T00:00:05.000Z', '2025-12-18T00:00:10.000Z'])
  await scheduler.close()
})

test('cancel stops calendar, interval and one-shot jobs; a cancelled name can be scheduled again', async () => {
  const { scheduler, runsOf, record, advance, clock } = setup('2025-12-17T23:00:00Z')
  const daily = scheduler.daily({ name: 'daily-summary', run: record('daily-summary') })
  const interval = scheduler.every({ name: 'checkpoint', everyMs: MINUTE, run: record('checkpoint') })
  const escalation = scheduler.after({ name: 'escalate', delayMs: 10 * MINUTE, run: record('escalate') })
  await advance(5 * MINUTE)
  assert.equal(runsOf('checkpoint').length, 5)
  daily.cancel()
  interval.cancel()
  escalation.cancel()
  escalation.cancel()
  assert.equal(clock.pendingTimers(), 0)
  await advance(2 * DAY, HOUR)
  assert.deepEqual([runsOf('daily-summary').length, runsOf('checkpoint').length, runsOf('escalate').length], [0, 5, 0])
  scheduler.every({ name: 'checkpoint', everyMs: MINUTE, run: record('checkpoint') })
  await advance(MINUTE)
  assert.equal(runsOf('checkpoint').length, 6)
  await scheduler.close()
})

test('options are checked when a job is scheduled', async () => {
  const { scheduler } = setup('2025-12-17T23:00:00Z')
  const run = (): void => {}
  assert.throws(() => scheduler.daily({ name: 'x', at: '24:00', run }), (error) => ERR_CONFIG_INVALID.is(error) && /"x" option at="24:00" must be a UTC time of day/.test(error.message))
  assert.throws(() => scheduler.daily({ name: '', run }), ERR_CONFIG_INVALID.is)
  assert.throws(() => scheduler.every({ name: 'x', everyMs: 0, run }), ERR_CONFIG_INVALID.is)
  assert.throws(() => scheduler.after({ name: 'x', delayMs: Number.NaN, run }), ERR_CONFIG_INVALID.is)
  scheduler.weekly({ name: 'weekly-summary', run })
  assert.throws(() => scheduler.monthly({ name: 'weekly-summary', run }), (error) => ERR_CONFIG_INVALID.is(error) && /unique names/.test(error.message))
  scheduler.after({ name: 'escalate', delayMs: 1, run })
  scheduler.after({ name: 'escalate', delayMs: 2, run })
  await scheduler.close()
  assert.throws(() => scheduler.after({ name: 'late', delayMs: 1, run }), (error) => ERR_CONFIG_INVALID.is(error) && /after the scheduler was closed/.test(error.message))
})
