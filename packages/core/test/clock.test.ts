import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { ManualClock, systemClock } from '../src/clock.ts'

const T0 = Date.UTC(2025, 11, 17, 23, 55)

test('ManualClock still moves only when told, to the microsecond', () => {
  const clock = new ManualClock(T0)
  assert.equal(clock.nowMicros(), T0 * 1000)
  clock.advanceMs(1.5)
  assert.equal(clock.nowMicros(), T0 * 1000 + 1500)
  clock.setMs(T0 - 60_000)
  assert.equal(clock.nowMicros(), (T0 - 60_000) * 1000, 'it may be set back')
})

test('ManualClock fires due timers in time order, each at its own due time', () => {
  const clock = new ManualClock(T0)
  const seen: Array<[string, number]> = []
  const at = (label: string) => () => { seen.push([label, clock.nowMicros() / 1000 - T0]) }
  clock.setTimer(300, at('c'))
  clock.setTimer(100, at('a'))
  clock.setTimer(200, at('b1'))
  clock.setTimer(200, at('b2'))
  clock.setTimer(5000, at('later'))
  assert.equal(clock.pendingTimers(), 5)
  clock.advanceMs(1000)
  assert.deepEqual(seen, [['a', 100], ['b1', 200], ['b2', 200], ['c', 300]], 'ties fire in the order they were set')
  assert.equal(clock.nowMicros() / 1000 - T0, 1000, 'then the clock stands at the target')
  assert.equal(clock.pendingTimers(), 1)
  clock.advanceMs(4000)
  assert.deepEqual(seen.at(-1), ['later', 5000], 'a timer due exactly at the target fires')
  assert.equal(clock.pendingTimers(), 0)
})

test('timers set by a firing timer fire in the same move when they fall due inside it', () => {
  const clock = new ManualClock(T0)
  const seen: number[] = []
  const tick = (): void => {
    seen.push(clock.nowMicros() / 1000 - T0)
    clock.setTimer(250, tick)
  }
  clock.setTimer(250, tick)
  clock.setTimer(600, () => seen.push(-600))
  clock.advanceMs(1000)
  assert.deepEqual(seen, [250, 500, -600, 750, 1000])
  assert.equal(clock.pendingTimers(), 1, 'the one set at 1000 waits for 1250')
  const zero: string[] = []
  clock.setTimer(0, () => { zero.push('first'); clock.setTimer(0, () => zero.push('second')) })
  clock.advanceMs(0)
  assert.deepEqual(zero, ['first', 'second'], 'a zero delay is due now, also when set by a firing timer')
})

test('setMs fires what falls due on the way; setting the clock back fires nothing', () => {
  const clock = new ManualClock(T0)
  let fired = 0
  clock.setTimer(10 * 60_000, () => fired++)
  clock.setMs(T0 - 3_600_000)
  assert.equal(fired, 0)
  clock.setMs(T0 + 9 * 60_000)
  assert.equal(fired, 0, 'still 11 minutes of clock time before its due time')
  clock.setMs(T0 + 10 * 60_000)
  assert.equal(fired, 1)
})

test('a cancelled timer never fires; cancelling twice or after it fired is harmless', () => {
  const clock = new ManualClock(T0)
  const seen: string[] = []
  const a = clock.setTimer(100, () => seen.push('a'))
  const b = clock.setTimer(100, () => seen.push('b'))
  const c = clock.setTimer(50, () => { seen.push('c'); b.cancel() })
  a.cancel()
  a.cancel()
  assert.equal(clock.pendingTimers(), 2)
  clock.advanceMs(200)
  assert.deepEqual(seen, ['c'], 'a firing timer may cancel a later one due in the same move')
  c.cancel()
  assert.equal(clock.pendingTimers(), 0)
})

test('a timer that throws stops the move at its due time, with the later timers still pending', () => {
  const clock = new ManualClock(T0)
  const seen: string[] = []
  clock.setTimer(100, () => { throw new Error('boom') })
  clock.setTimer(200, () => seen.push('after'))
  assert.throws(() => clock.advanceMs(1000), /boom/)
  assert.equal(clock.nowMicros(), (T0 + 100) * 1000)
  assert.equal(clock.pendingTimers(), 1)
  clock.advanceMs(900)
  assert.deepEqual(seen, ['after'])
})

test('systemClock timers fire for real, and a cancelled one does not', async (t) => {
  // The timers are unref'd: something must keep this process alive while the test waits.
  const keepAlive = setInterval(() => {}, 1000)
  t.after(() => clearInterval(keepAlive))
  const start = performance.now()
  const fired = await new Promise<number>((resolve) => systemClock.setTimer(20, () => resolve(performance.now())))
  assert.ok(fired - start >= 19, `fired after ${fired - start} ms`)
  let cancelledFired = false
  systemClock.setTimer(5, () => { cancelledFired = true }).cancel()
  // A timer set later and due later fires after the cancelled one would have.
  await new Promise<void>((resolve) => systemClock.setTimer(30, resolve))
  assert.equal(cancelledFired, false)
})

test('systemClock re-arms delays beyond setTimeout\'s 2^31 - 1 ms instead of firing early', (t) => {
  const armed: Array<{ fn: () => void; delay: number; unrefed: boolean; cleared: boolean }> = []
  t.mock.method(globalThis, 'setTimeout', (fn: () => void, delay: number) => {
    const handle = { fn, delay, unrefed: false, cleared: false, unref() { handle.unrefed = true; return handle } }
    armed.push(handle)
    return handle
  })
  t.mock.method(globalThis, 'clearTimeout', (handle: { cleared: boolean }) => { handle.cleared = true })
  const MAX = 2 ** 31 - 1
  const thirtyOneDays = 31 * 86_400_000
  let fired = 0
  const timer = systemClock.setTimer(thirtyOneDays, () => fired++)
  assert.equal(armed.length, 1)
  assert.equal(armed[0]!.delay, MAX)
  armed[0]!.fn()
  assert.equal(fired, 0, 'the first leg is not the whole delay')
  assert.equal(armed[1]!.delay, thirtyOneDays - MAX)
  assert.ok(armed.every((h) => h.unrefed), 'every leg is unref\'d')
  armed[1]!.fn()
  assert.equal(fired, 1)

  const other = systemClock.setTimer(3 * MAX, () => fired++)
  armed.at(-1)!.fn()
  other.cancel()
  assert.equal(armed.at(-1)!.cleared, true, 'cancel clears the leg now armed')
  timer.cancel()
})

test('a pending systemClock timer does not keep the process alive', () => {
  const clock = fileURLToPath(new URL('../src/clock.ts', import.meta.url))
  const script = `const { systemClock } = await import(${JSON.stringify(clock)})
systemClock.setTimer(60_000, () => console.log('fired'))
systemClock.setTimer(2 ** 32, () => console.log('fired'))
console.log('armed')`
  const started = Date.now()
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { encoding: 'utf8', timeout: 30_000 })
  assert.equal(child.status, 0, child.stderr)
  assert.equal(child.stdout, 'armed\n')
  assert.ok(Date.now() - started < 30_000)
})
