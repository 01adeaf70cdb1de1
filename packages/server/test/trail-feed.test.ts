/**
 * The commit feed: appends by the collector's own trail (writer thread) interleaved with
 * appends by another process and restarts of the collector, followed by consumers that start
 * and resume at arbitrary seqs. Every consumer sees every seq after its start once, in order.
 */
import assert from 'node:assert/strict'
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { after, test } from 'node:test'
import fc from 'fast-check'
import { type FeedSubscription, validateBatch } from '@tradetrail/core'
import { tempDir, waitFor } from '@tradetrail/test-support'
import { loadConfig } from '../src/config.ts'
import { type Trail, openTrail } from '../src/trail/open-trail.ts'

const APPENDER = new URL('./fixtures/feed-appender.ts', import.meta.url).pathname

/** A child process appending to the same trail, driven line by line. */
class Appender {
  readonly #child: ChildProcessWithoutNullStreams
  readonly #answers: AsyncIterator<string>
  constructor(dataDir: string) {
    this.#child = spawn(process.execPath, ['--import', 'tsx', APPENDER, dataDir], { stdio: ['pipe', 'pipe', 'pipe'] })
    this.#answers = createInterface({ input: this.#child.stdout })[Symbol.asyncIterator]()
  }
  async append(n: number): Promise<void> {
    this.#child.stdin.write(`${n}\n`)
    const answer = await this.#answers.next()
    assert.ok(!answer.done, 'the appender process answered')
  }
  stop(): void {
    this.#child.stdin.end()
    this.#child.kill('SIGKILL')
  }
}

type Action =
  | { kind: 'own'; n: number }
  | { kind: 'other'; n: number }
  | { kind: 'restart' }
  | { kind: 'follow'; from: number }

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('own' as const), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('other' as const), n: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('restart' as const) }),
  fc.record({ kind: fc.constant('follow' as const), from: fc.nat({ max: 200 }) }),
)

/** A consumer of the feed that survives restarts by resuming from the last seq it saw. */
interface Consumer {
  start: number
  seen: number[]
  subscription: FeedSubscription | undefined
}

test('every consumer sees every seq once, in order, across processes, restarts and resumes', { timeout: 300_000 }, async (t) => {
  const appenders: Appender[] = []
  after(() => { for (const a of appenders) a.stop() })
  await fc.assert(fc.asyncProperty(fc.array(action, { minLength: 3, maxLength: 8 }), async (actions) => {
    const dataDir = join(tempDir(t, 'tt-feed'), 'data')
    const config = loadConfig({ env: {}, flags: { dataDir } })
    const open = (): Promise<Trail> => openTrail(config, { role: 'collector', onWarning: () => {} })
    let trail = await open()
    const appender = new Appender(dataDir)
    appenders.push(appender)
    const consumers: Consumer[] = []
    const follow = (c: Consumer): void => {
      c.subscription = trail.feed!.follow(c.seen.at(-1) ?? c.start, (events) => { for (const e of events) c.seen.push(e.seq) })
    }
    try {
      consumers.push({ start: 0, seen: [], subscription: undefined })
      follow(consumers[0]!)
      for (const a of actions) {
        if (a.kind === 'own') {
          await trail.submit(validateBatch(Array.from({ length: a.n }, (_, i) => ({ project: 'Own', message: `own ${i}` })), { nowMicros: Date.now() * 1000 }), 'test')
        } else if (a.kind === 'other') {
          await appender.append(a.n)
        } else if (a.kind === 'restart') {
          for (const c of consumers) c.subscription?.close()
          await trail.close()
          trail = await open()
          for (const c of consumers) follow(c)
        } else {
          const c: Consumer = { start: Math.min(a.from, (await trail.store.head()).seq), seen: [], subscription: undefined }
          consumers.push(c)
          follow(c)
        }
      }
      const head = (await trail.store.head()).seq
      await waitFor(() => consumers.map((c) => c.seen.at(-1) ?? c.start), (ends) => ends.every((end) => end === head), {
        describe: `every consumer at head ${head} (starts ${consumers.map((c) => c.start).join(', ')})`,
      })
      for (const c of consumers) {
        assert.deepEqual(c.seen, Array.from({ length: head - c.start }, (_, i) => c.start + 1 + i), `consumer from seq ${c.start}`)
      }
    } finally {
      for (const c of consumers) c.subscription?.close()
      await trail.close()
      appender.stop()
    }
  }), { numRuns: 6 })
})
