/**
 * Acknowledged means durable (PRODUCT.md guarantee 1), nothing lost and nothing doubled
 * (guarantee 2): a real writer process is killed with SIGKILL at random moments, again and
 * again on the same data directory. After every kill the reopened trail must hold every
 * acknowledged event exactly once, in the seq range its ack named, with a gap-free seq and a
 * chain that verifies. The writer also resends the batch it was killed in the middle of, and
 * now and then a batch already acknowledged: those ids must not be stored twice.
 *
 * TT_CRASH_SEED=<n> replays a run; TT_CRASH_ROUNDS=<n> changes the number of kills (default 20).
 */
import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import type { AppendResult } from '@tradetrail/core'
import { tempDir, waitFor } from '@tradetrail/test-support'
import { DATABASE_FILE } from '../src/trail/open-trail.ts'
import { openTestTrail } from './helpers/trail.ts'
import { verifyTrail } from '../src/verify-trail.ts'

const WRITER = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url))
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const SEED = Number(process.env.TT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31))
const ROUNDS = Number(process.env.TT_CRASH_ROUNDS ?? 20)

let state = SEED || 1
const random = (): number => {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0
  return state / 2 ** 32
}

const running = new Set<ChildProcess>()
after(() => {
  for (const child of running) child.kill('SIGKILL')
})

interface Sending { sending: string[]; replay: boolean }
interface Acked { acked: AppendResult; ids: string[]; replay: boolean }
type Line = Sending | Acked

interface Round {
  lines: Line[]
  stderr: string
  exit: { code: number | null; signal: NodeJS.Signals | null }
}

/** Starts a writer, kills it 50–400 ms after its first ack, and returns the complete lines it wrote. */
async function killedWriter(dataDir: string, seed: number, inFlightFile: string | undefined): Promise<Round> {
  const args = ['--import', 'tsx', WRITER, dataDir, String(seed), ...(inFlightFile ? [inFlightFile] : [])]
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exited = new Promise<Round['exit']>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  try {
    await waitFor(() => stdout, (s) => s.includes('"acked"') || child.exitCode !== null, {
      describe: 'the writer to acknowledge a first batch', timeoutMs: 60_000, show: (s) => `stdout ${JSON.stringify(s.slice(-300))}, stderr ${JSON.stringify(stderr.slice(-500))}`,
    })
    assert.equal(child.exitCode, null, `the writer died on its own: ${stderr}`)
    await delay(50 + Math.floor(random() * 350)) // the random moment of the crash
    child.kill('SIGKILL')
    const exit = await exited
    // Only whole lines were written before the kill; a cut last line was never an ack.
    const complete = stdout.slice(0, stdout.lastIndexOf('\n') + 1)
    const lines = complete.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line)
    return { lines, stderr, exit }
  } finally {
    child.kill('SIGKILL')
    await exited
    running.delete(child)
  }
}

test(`SIGKILL at random moments loses no acknowledged event and stores none twice (${ROUNDS} rounds, seed ${SEED})`, { timeout: 600_000 }, async (t) => {
  const dataDir = join(tempDir(t, 'tt-crash'), 'data')
  const sent = new Set<string>()
  const stored = new Map<string, number>() // id -> its seq, for every id known to be stored
  const acknowledged = new Set<string>()
  let inFlight: string[] | undefined
  const tally = { killedMidBatch: 0, resentCommitted: 0, resentNew: 0, retriedAcked: 0 }
  const context = (round: number): string => `round ${round}, seed ${SEED} (TT_CRASH_SEED=${SEED} replays it)`

  for (let round = 1; round <= ROUNDS; round++) {
    let inFlightFile: string | undefined
    if (inFlight !== undefined) {
      inFlightFile = join(tempDir(t, 'tt-crash-inflight'), 'in-flight.json')
      writeFileSync(inFlightFile, JSON.stringify(inFlight))
    }
    const { lines, stderr, exit } = await killedWriter(dataDir, Math.floor(random() * 2 ** 31), inFlightFile)
    assert.equal(exit.signal, 'SIGKILL', `${context(round)}: the writer must die by our kill, not on its own: ${stderr}`)

    inFlight = undefined
    lines.forEach((line, i) => {
      if (!('acked' in line) || !line.replay) return
      if (i <= 1 && inFlightFile !== undefined) tally[line.acked.accepted > 0 ? 'resentNew' : 'resentCommitted']++
      else tally.retriedAcked++
    })
    for (const line of lines) {
      if ('sending' in line) {
        for (const id of line.sending) sent.add(id)
        inFlight = line.sending
        continue
      }
      inFlight = undefined
      const { acked: result, ids, replay } = line
      // Atomic per batch: stored whole, or (a resend whose ids are all stored already) not at all.
      assert.equal(result.accepted + result.duplicates, ids.length, `${context(round)}: ${JSON.stringify(result)}`)
      assert.ok(result.accepted === 0 || result.accepted === ids.length, `${context(round)}: a batch is stored whole or not at all, got ${JSON.stringify(result)}`)
      if (!replay) assert.equal(result.accepted, ids.length, `${context(round)}: a batch of new ids is stored whole`)
      if (result.accepted > 0) {
        assert.equal(result.last_seq! - result.first_seq! + 1, ids.length, `${context(round)}: ${JSON.stringify(result)}`)
        ids.forEach((id, i) => {
          assert.ok(!stored.has(id), `${context(round)}: id ${id} was stored already at seq ${stored.get(id)}, and stored again`)
          stored.set(id, result.first_seq! + i)
        })
      } else {
        for (const id of ids) assert.ok(stored.has(id), `${context(round)}: ${id} reported as a duplicate but never stored`)
      }
      for (const id of ids) acknowledged.add(id)
    }

    if (inFlight !== undefined) tally.killedMidBatch++

    // Reopen after the crash, as the next writer or a `tradetrail verify` would.
    const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true })
    let rows: Array<{ seq: number; id: string }>
    try {
      rows = db.prepare('SELECT seq, id FROM events ORDER BY seq').all() as Array<{ seq: number; id: string }>
    } finally {
      db.close()
    }
    const seqOfId = new Map<string, number>()
    rows.forEach((row, i) => {
      assert.equal(row.seq, i + 1, `${context(round)}: seq is gap-free (row ${i} has seq ${row.seq})`)
      assert.ok(!seqOfId.has(row.id), `${context(round)}: id ${row.id} stored twice (seq ${seqOfId.get(row.id)} and ${row.seq})`)
      assert.ok(sent.has(row.id), `${context(round)}: id ${row.id} at seq ${row.seq} was never sent`)
      seqOfId.set(row.id, row.seq)
    })
    for (const id of acknowledged) assert.equal(seqOfId.get(id), stored.get(id), `${context(round)}: acknowledged id ${id} must be at seq ${stored.get(id)}`)

    const trail = await openTestTrail(dataDir, { role: 'reader' })
    try {
      const report = await verifyTrail(trail.store, trail.signer.publicKey)
      assert.equal(report.ok, true, `${context(round)}: ${JSON.stringify(report.problem)}`)
      assert.equal(report.last_seq, rows.length)
    } finally {
      await trail.close()
    }
    // A batch committed just before the kill swallowed its ack is stored (once) all the same.
    for (const [id, seq] of seqOfId) if (!stored.has(id)) stored.set(id, seq)
  }
  t.diagnostic(`${acknowledged.size} events acknowledged; killed with a batch in flight ${tally.killedMidBatch} times (resent: ${tally.resentCommitted} had been committed, ${tally.resentNew} had not); ${tally.retriedAcked} acknowledged batches resent`)
  assert.ok(acknowledged.size > ROUNDS, `the writers acknowledged ${acknowledged.size} events in ${ROUNDS} rounds`)
})
