/**
 * Verification of a whole trail, for any EventStore: recomputes the chain from the
 * retention anchor (or genesis), checks that seq has no gap, and checks every signed
 * checkpoint against the recomputed hashes. Names the first bad seq.
 */
import type { KeyObject } from 'node:crypto'
import { type Checkpoint, type EventStore, GENESIS_HASH, canonicalEventText, chainHash } from '@tradetrail/core'
import { verifyCheckpoint } from './checkpoint-signer.ts'

export type VerifyProblemCode =
  | 'hash_mismatch' | 'missing_event' | 'unexpected_event' | 'checkpoint_mismatch' | 'checkpoint_signature'
  | 'anchor_signature' | 'truncated'

export interface VerifyReport {
  ok: boolean
  /** Events whose hash was recomputed. */
  checked: number
  /** seq of the first event checked and of the head (0 when empty). */
  first_seq: number
  last_seq: number
  /** Where the chain starts: the retention anchor's seq, 0 for genesis. */
  anchor_seq: number
  checkpoints: { total: number; verified: number; latest: Checkpoint | null }
  /** Events after the newest signed checkpoint: protected only by the chain until the next one. */
  unsigned_tail: number
  /** The first thing wrong, by seq. */
  problem: { seq: number; code: VerifyProblemCode; message: string } | null
}

export interface VerifyOptions {
  /** Checkpoints kept outside the trail (an earlier export): checked like the trail's own. */
  externalCheckpoints?: readonly Checkpoint[]
}

export async function verifyTrail(store: EventStore, publicKey: KeyObject, options: VerifyOptions = {}): Promise<VerifyReport> {
  const anchor = await store.anchor()
  // An export usually repeats the trail's own checkpoints: count each signature once.
  const bySignature = new Map([...(await store.checkpoints()), ...(options.externalCheckpoints ?? [])].map((c) => [c.signature, c]))
  const checkpoints = [...bySignature.values()].sort((a, b) => a.seq - b.seq)
  const problems: Array<NonNullable<VerifyReport['problem']>> = []
  if (anchor !== undefined && !verifyCheckpoint(anchor, publicKey)) {
    problems.push({ seq: anchor.seq, code: 'anchor_signature', message: `the retention anchor at seq ${anchor.seq} is not signed by this trail's key` })
  }
  const anchorSeq = anchor?.seq ?? 0
  const live = checkpoints.filter((c) => c.seq > anchorSeq)
  let verified = 0
  for (const c of live) {
    if (verifyCheckpoint(c, publicKey)) verified++
    else problems.push({ seq: c.seq, code: 'checkpoint_signature', message: `the checkpoint at seq ${c.seq} (${c.time}) has a bad signature` })
  }

  let prev: Buffer = anchor ? Buffer.from(anchor.hash, 'hex') : GENESIS_HASH
  let expected = anchorSeq + 1
  let checked = 0
  let next = 0 // index into `live` of the next checkpoint to meet
  chain: for await (const chunk of store.scanChain(anchorSeq)) {
    for (const record of chunk) {
      if (record.seq !== expected) {
        problems.push(record.seq > expected
          ? { seq: expected, code: 'missing_event', message: `seq ${expected} is missing (the next stored event is seq ${record.seq})` }
          : { seq: record.seq, code: 'unexpected_event', message: `seq ${record.seq} appears after seq ${expected - 1}` })
        break chain
      }
      const hash = chainHash(prev, canonicalEventText(record))
      if (!hash.equals(record.hash)) {
        problems.push({ seq: record.seq, code: 'hash_mismatch', message: `event seq ${record.seq} (id ${record.id}) does not match its chain hash: it, or the one before it, was changed` })
        break chain
      }
      while (next < live.length && live[next]!.seq <= record.seq) {
        const c = live[next++]!
        if (c.seq === record.seq && c.hash !== record.hash.toString('hex')) {
          problems.push({ seq: c.seq, code: 'checkpoint_mismatch', message: `event seq ${c.seq} differs from the checkpoint signed at ${c.time}: the chain was rewritten` })
          break chain
        }
      }
      prev = hash
      expected++
      checked++
    }
  }
  const lastSeq = expected - 1
  const beyond = live.find((c) => c.seq > lastSeq)
  if (problems.length === 0 && beyond !== undefined) {
    problems.push({ seq: lastSeq + 1, code: 'truncated', message: `a checkpoint signed at ${beyond.time} covers seq ${beyond.seq}, but the trail ends at seq ${lastSeq}: events were removed from the end` })
  }
  problems.sort((a, b) => a.seq - b.seq)
  return {
    ok: problems.length === 0,
    checked,
    first_seq: checked > 0 ? anchorSeq + 1 : 0,
    last_seq: lastSeq,
    anchor_seq: anchorSeq,
    checkpoints: { total: live.length, verified, latest: live[live.length - 1] ?? null },
    unsigned_tail: Math.max(0, lastSeq - (live[live.length - 1]?.seq ?? anchorSeq)),
    problem: problems[0] ?? null,
  }
}
