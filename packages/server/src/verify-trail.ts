/**
 * Verification of a whole trail, for any EventStore: recomputes the chain from the retention
 * anchor (or genesis), checks that seq has no gap, checks every signed checkpoint against the
 * stored hashes, and checks every purge: its anchor's signature, and that no checkpoint exported
 * before it shows it removed events younger than the minimum retention. Names the first bad seq.
 *
 * The chain is verified in ranges that need nothing from each other but the stored hash in
 * front of them: range k starts from the stored hash of its first seq − 1, which range k − 1
 * proves by recomputing it. So ranges run in parallel, one worker thread each
 * (trail/verify-thread.ts) — every core from the CLI, one low-priority thread in the collector.
 */
import type { KeyObject } from 'node:crypto'
import {
  type Anchor, type Checkpoint, type EventStore, GENESIS_HASH, SELF_PROJECT, canonicalSeq, chainHashHex, durationMillis, formatDuration, isLegacyAnchor,
  timestampMicros,
} from '@tradetrail/core'
import { verifyAnchor, verifyCheckpoint } from './checkpoint-signer.ts'
import { startThread } from './start-thread.ts'
import { VERIFY_THREAD, VERIFY_THREAD_URL } from './trail/verify-thread.ts'
import { WITNESS_PROBLEM_CODES } from './witness/verify-witnesses.ts'

/** Every kind of problem verify names; docs/verification.md describes each (docs.test.ts holds it to this list). */
export const VERIFY_PROBLEM_CODES = [
  'hash_mismatch', 'missing_event', 'unexpected_event', 'seq_mismatch', 'checkpoint_mismatch', 'checkpoint_signature',
  'anchor_signature', 'anchor_unproven', 'truncated', 'premature_purge', ...WITNESS_PROBLEM_CODES,
] as const
export type VerifyProblemCode = (typeof VERIFY_PROBLEM_CODES)[number]

export interface VerifyProblem {
  seq: number
  code: VerifyProblemCode
  message: string
}

/** One purge, as its anchor states it (the policy members are null for a legacy anchor, which does not sign them). */
export interface PurgeRecord {
  /** The first and last seq it removed. */
  from_seq: number
  seq: number
  purged: number
  /** When it ran (its anchor's signed time). */
  time: string
  /** Written before anchors signed their purge's policy: it signs what a checkpoint signs. */
  legacy: boolean
  newest_received_at: string | null
  min_retention_ms: number | null
  retention_ms: number | null
  /** The reason given to purge below the minimum retention, or null. */
  below_minimum: string | null
}

export interface VerifyReport {
  ok: boolean
  /** Events whose hash was recomputed. */
  checked: number
  /** seq of the first event checked and of the head (0 when empty). */
  first_seq: number
  last_seq: number
  /** Where the chain starts: the retention anchor's seq, 0 for genesis. */
  anchor_seq: number
  /** Every purge the trail records, oldest first. */
  purges: PurgeRecord[]
  checkpoints: { total: number; verified: number; latest: Checkpoint | null }
  /** Events after the newest signed checkpoint: protected only by the chain until the next one. */
  unsigned_tail: number
  /** Threads that recomputed the chain (0: the calling thread). */
  workers: number
  /** The first thing wrong, by seq. */
  problem: VerifyProblem | null
}

export interface VerifyOptions {
  /**
   * Checkpoints kept outside the trail (earlier exports), less those at or below the anchor of
   * the export they come from: checked like the trail's own, and those a purge has removed since
   * are evidence against it (premature_purge).
   */
  externalCheckpoints?: readonly Checkpoint[]
  /** The minimum retention a legacy anchor's purge is held to, which it does not state itself (default 5 years). */
  minRetentionMs?: number
  /** Worker threads to recompute the chain with (default 0: this thread, yielding between chunks). */
  workers?: number
  /** Run the workers at the lowest CPU priority, so that ingest keeps its latency. */
  lowPriority?: boolean
}

/** What one range's recomputation found. */
export interface RangeResult {
  checked: number
  problem: VerifyProblem | null
  /** Stored hashes (hex) at the seqs asked for, where they were reached. */
  hashes: Record<number, string>
}

/** Ranges smaller than this are not worth a thread of their own. */
const MIN_RANGE = 50_000
/** MiFID II's five years: the minimum retention a legacy anchor is held to unless the caller says otherwise. */
const DEFAULT_MIN_RETENTION_MS = durationMillis('5y')!

export async function verifyTrail(store: EventStore, publicKey: KeyObject, options: VerifyOptions = {}): Promise<VerifyReport> {
  const anchors = await store.anchors()
  const anchor = anchors.at(-1)
  const external = options.externalCheckpoints ?? []
  // An export usually repeats the trail's own checkpoints: count each signature once.
  const bySignature = new Map([...(await store.checkpoints()), ...external].map((c) => [c.signature, c]))
  const checkpoints = [...bySignature.values()].sort((a, b) => a.seq - b.seq)
  const problems: VerifyProblem[] = []
  const goodAnchors = new Set<Anchor>()
  for (const a of anchors) {
    if (verifyAnchor(a, publicKey)) goodAnchors.add(a)
    else problems.push({ seq: a.seq, code: 'anchor_signature', message: `the retention anchor at seq ${a.seq} is not signed by this trail's key` })
  }
  const anchorSeq = anchor?.seq ?? 0
  const live = checkpoints.filter((c) => c.seq > anchorSeq)
  let verified = 0
  let lastGood = anchorSeq
  for (const c of live) {
    if (verifyCheckpoint(c, publicKey)) {
      verified++
      lastGood = c.seq
    } else problems.push({ seq: c.seq, code: 'checkpoint_signature', message: `the checkpoint at seq ${c.seq} (${c.time}) has a bad signature` })
  }

  const head = (await store.head()).seq
  const start = anchor ? Buffer.from(anchor.hash, 'hex') : GENESIS_HASH
  const wanted = live.map((c) => c.seq)
  const threads = Math.max(0, Math.floor(options.workers ?? 0))
  const ranges = splitRange(anchorSeq + 1, head, threads)
  const results = threads === 0 || head <= anchorSeq
    ? [await verifyRange(store, anchorSeq + 1, head, start, wanted)]
    : await Promise.all(ranges.map(([from, to]) => inThread(store, from, to, from === anchorSeq + 1 ? start : undefined, wanted, options.lowPriority ?? false)))
  let checked = 0
  const hashes: Record<number, string> = {}
  for (const r of results) {
    if (r.problem !== null) problems.push(r.problem)
    Object.assign(hashes, r.hashes)
  }
  // Everything up to the first broken range counts as checked.
  for (const r of results) {
    checked += r.checked
    if (r.problem !== null) break
  }
  const chainProblem = results.find((r) => r.problem !== null)?.problem ?? null
  const chainEnd = chainProblem === null ? head : chainProblem.seq - 1
  for (const c of live) {
    if (c.seq > chainEnd) break
    const stored = hashes[c.seq]
    if (stored !== undefined && stored !== c.hash) {
      problems.push({ seq: c.seq, code: 'checkpoint_mismatch', message: `event seq ${c.seq} differs from the checkpoint signed at ${c.time}: the chain was rewritten` })
      break
    }
  }
  const beyond = live.find((c) => c.seq > head)
  if (problems.length === 0 && beyond !== undefined) {
    problems.push({ seq: head + 1, code: 'truncated', message: `a checkpoint signed at ${beyond.time} covers seq ${beyond.seq}, but the trail ends at seq ${head}: events were removed from the end` })
  }
  // A legacy anchor signs a checkpoint's payload: only the purge recorded in the signed chain tells it from a copied checkpoint.
  if (anchor !== undefined && isLegacyAnchor(anchor) && goodAnchors.has(anchor) && !(await recordedInChain(store, anchor, Math.min(lastGood, chainEnd)))) {
    problems.push({ seq: anchor.seq, code: 'anchor_unproven', message: `the retention anchor at seq ${anchor.seq} signs what a checkpoint signs (it predates anchors that sign their purge), and no retention_purge event that a signed checkpoint covers records it: it may be a checkpoint copied into the anchor's place, with the events before it deleted` })
  }
  const exported = new Set(external.map((c) => c.signature))
  const evidence = checkpoints.filter((c) => c.seq <= anchorSeq && exported.has(c.signature) && verifyCheckpoint(c, publicKey))
  problems.push(...prematurePurges(anchors, goodAnchors, evidence, options.minRetentionMs ?? DEFAULT_MIN_RETENTION_MS))
  problems.sort((a, b) => a.seq - b.seq)
  const lastSeq = chainProblem === null ? head : anchorSeq + checked
  return {
    ok: problems.length === 0,
    checked,
    first_seq: checked > 0 ? anchorSeq + 1 : 0,
    last_seq: lastSeq,
    anchor_seq: anchorSeq,
    purges: anchors.map((a, i) => ({
      from_seq: (anchors[i - 1]?.seq ?? 0) + 1, seq: a.seq, purged: a.purged, time: a.time, legacy: isLegacyAnchor(a), newest_received_at: a.newest_received_at ?? null,
      min_retention_ms: a.min_retention_ms ?? null, retention_ms: a.retention_ms ?? null, below_minimum: a.below_minimum ?? null,
    })),
    checkpoints: { total: live.length, verified, latest: live[live.length - 1] ?? null },
    unsigned_tail: Math.max(0, lastSeq - (live[live.length - 1]?.seq ?? anchorSeq)),
    workers: threads === 0 ? 0 : ranges.length,
    problem: problems[0] ?? null,
  }
}

/** Whether a `retention_purge` event with afterSeq < seq ≤ throughSeq states `anchor` (seq, hash, time, signature). */
async function recordedInChain(store: EventStore, anchor: Anchor, throughSeq: number): Promise<boolean> {
  for await (const events of store.scan({ project: SELF_PROJECT, type: 'retention_purge', afterSeq: anchor.seq, beforeSeq: throughSeq + 1 })) {
    for (const { data } of events) {
      if (data?.seq === anchor.seq && data.hash === anchor.hash && data.time === anchor.time && data.signature === anchor.signature) return true
    }
  }
  return false
}

/**
 * Purges that removed events younger than the minimum retention: an anchor stating so without a
 * reason to, and each checkpoint of an earlier export (`evidence`) that a purge removed although it
 * was signed less than the minimum retention before that purge — overridden or not: the export
 * proves that the trail no longer holds records it was meant to keep.
 */
function prematurePurges(anchors: readonly Anchor[], good: ReadonlySet<Anchor>, evidence: readonly Checkpoint[], legacyMinMs: number): VerifyProblem[] {
  const problems: VerifyProblem[] = []
  const minimum = (a: Anchor): number => a.min_retention_ms ?? legacyMinMs
  for (const a of anchors) {
    if (!good.has(a) || isLegacyAnchor(a) || a.below_minimum !== null) continue
    if (timestampMicros(a.newest_received_at!) > timestampMicros(a.time) - minimum(a) * 1000) {
      problems.push({ seq: a.seq, code: 'premature_purge', message: `the purge at ${a.time} removed events received up to ${a.newest_received_at}, within its minimum retention (${formatDuration(minimum(a))}), without a reason to` })
    }
  }
  for (const c of evidence) {
    const a = anchors.find((x) => x.seq >= c.seq)!
    if (timestampMicros(c.time) <= timestampMicros(a.time) - minimum(a) * 1000) continue
    const why = a.below_minimum ? `; it went below the minimum, because ${JSON.stringify(a.below_minimum)}` : ''
    problems.push({ seq: c.seq, code: 'premature_purge', message: `a checkpoint exported before the purge at ${a.time} shows seq ${c.seq} in the trail at ${c.time}, less than the minimum retention (${formatDuration(minimum(a))}) before that purge removed it${why}` })
  }
  return problems
}

/** [from, to] split into at most `parts` ranges of at least MIN_RANGE events (one when smaller). */
export function splitRange(from: number, to: number, parts: number): Array<[number, number]> {
  const total = to - from + 1
  if (total <= 0) return [[from, to]]
  const n = Math.max(1, Math.min(parts, Math.floor(total / MIN_RANGE)))
  const size = Math.ceil(total / n)
  const ranges: Array<[number, number]> = []
  for (let a = from; a <= to; a += size) ranges.push([a, Math.min(to, a + size - 1)])
  return ranges
}

/**
 * Recomputes the chain over seq from..to. `prev` is the hash in front of `from` (the anchor's
 * or genesis for the first range); for a later range it is the stored hash of from − 1.
 */
export async function verifyRange(store: EventStore, from: number, to: number, prev: Buffer | undefined, wanted: readonly number[]): Promise<RangeResult> {
  const hashes: Record<number, string> = {}
  const want = new Set(wanted.filter((s) => s >= from && s <= to))
  let checked = 0
  const fail = (problem: VerifyProblem): RangeResult => ({ checked, problem, hashes })
  const first = prev ?? await store.hashAt(from - 1)
  if (first === undefined) return fail({ seq: from - 1, code: 'missing_event', message: `seq ${from - 1} is missing` })
  let before = first.toString('hex')
  let expected = from
  for await (const chunk of store.scanChain(from - 1, 5000, to)) {
    for (const record of chunk) {
      if (record.seq !== expected) {
        return fail(record.seq > expected
          ? { seq: expected, code: 'missing_event', message: `seq ${expected} is missing (the next stored event is seq ${record.seq})` }
          : { seq: record.seq, code: 'unexpected_event', message: `seq ${record.seq} appears after seq ${expected - 1}` })
      }
      const hash = chainHashHex(before, record.canonical)
      if (hash !== record.hash) {
        return fail({ seq: record.seq, code: 'hash_mismatch', message: `event seq ${record.seq} does not match its chain hash: it, or the one before it, was changed` })
      }
      if (canonicalSeq(record.canonical) !== record.seq) {
        return fail({ seq: record.seq, code: 'seq_mismatch', message: `the event stored at seq ${record.seq} states another seq: events were moved` })
      }
      if (want.has(record.seq)) hashes[record.seq] = record.hash
      before = hash
      expected++
      checked++
    }
  }
  if (expected <= to) return fail({ seq: expected, code: 'missing_event', message: `seq ${expected} is missing` })
  return { checked, problem: null, hashes }
}

function inThread(store: EventStore, from: number, to: number, prev: Buffer | undefined, wanted: readonly number[], lowPriority: boolean): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const worker = startThread(VERIFY_THREAD_URL, { tradetrailThread: VERIFY_THREAD, locator: store.locator, from, to, prev: prev?.toString('hex'), wanted, lowPriority })
    worker.once('message', (message: { ok: true; result: RangeResult } | { ok: false; error: string }) => {
      if (message.ok) resolve(message.result)
      else reject(new Error(`verify thread: ${message.error}`))
    })
    worker.once('error', reject)
    worker.once('exit', (code) => { if (code !== 0) reject(new Error(`verify thread exited with code ${code}`)) })
  })
}
