import assert from 'node:assert/strict'
import { test } from 'node:test'
import { type AppendBatch, type AppendResult, validateBatch } from '@tradetrail/core'
import { GroupCommitter } from '../../src/trail/group-commit.ts'

const batch = (n: number): AppendBatch => ({ events: validateBatch(Array.from({ length: n }, (_, i) => ({ project: 'p', message: `m${i}` })), { nowMicros: 1e15 }) })

test('requests submitted in the same turn share one commit, each gets its own result', async () => {
  const groups: number[][] = []
  let seq = 0
  const committer = new GroupCommitter({
    appendGroup: async (batches) => {
      groups.push(batches.map((b) => b.events.length))
      return batches.map((b): AppendResult => ({ accepted: b.events.length, duplicates: 0, first_seq: seq + 1, last_seq: (seq += b.events.length) }))
    },
  })
  const results = await Promise.all([committer.submit(batch(2)), committer.submit(batch(3)), committer.submit(batch(1))])
  assert.deepEqual(groups, [[2, 3, 1]])
  assert.deepEqual(results.map((r) => [r.first_seq, r.last_seq]), [[1, 2], [3, 5], [6, 6]])
})

test('a request arriving during a commit waits for the next one; maxGroupEvents splits groups', async () => {
  const groups: number[][] = []
  let release!: () => void
  const blocked = new Promise<void>((resolve) => { release = resolve })
  const committer = new GroupCommitter({
    maxGroupEvents: 4,
    appendGroup: async (batches) => {
      groups.push(batches.map((b) => b.events.length))
      if (groups.length === 1) await blocked
      return batches.map((b) => ({ accepted: b.events.length, duplicates: 0, first_seq: null, last_seq: null }))
    },
  })
  const first = committer.submit(batch(1))
  await new Promise((resolve) => setImmediate(resolve))
  const later = [committer.submit(batch(3)), committer.submit(batch(2)), committer.submit(batch(2))]
  assert.equal(committer.pending, 3)
  release()
  await Promise.all([first, ...later])
  assert.deepEqual(groups, [[1], [3], [2, 2]])
})

test('a failed commit rejects every request in it, and the next commit goes on', async () => {
  let calls = 0
  const failures: number[] = []
  const committer = new GroupCommitter({
    appendGroup: async (batches) => {
      if (calls++ === 0) throw new Error('disk full')
      return batches.map((b) => ({ accepted: b.events.length, duplicates: 0, first_seq: 1, last_seq: b.events.length }))
    },
    onError: (_error, batches) => failures.push(batches),
  })
  const failed = await Promise.allSettled([committer.submit(batch(1)), committer.submit(batch(1))])
  assert.deepEqual(failed.map((r) => r.status), ['rejected', 'rejected'])
  assert.deepEqual(failures, [2])
  assert.equal((await committer.submit(batch(2))).accepted, 2)
  await committer.flush()
})
