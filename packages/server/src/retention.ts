/**
 * Retention: purges whole ranges of the oldest events, never single ones. Before purging it
 * verifies the trail, so it never anchors a tampered history; it leaves a signed anchor (seq and
 * chain hash of the last purged event, the count, the policy kept and the newest purged
 * received_at) from which the rest of the trail still verifies.
 *
 * A purge never removes an event younger than the minimum retention unless the policy gives a
 * reason to (the override is signed in the anchor), nor one that a legal hold in force covers:
 * purges delete a prefix of the trail, so a purge stops before the first held event.
 */
import type { KeyObject } from 'node:crypto'
import {
  type Anchor, type Clock, ERR_RETENTION_BELOW_MINIMUM, ERR_RETENTION_INVALID, type EventStore, type HoldStore, type LegalHold, formatDuration,
  formatMicros, systemClock, timestampKey, timestampMicros,
} from '@tradetrail/core'
import type { CheckpointSigner } from './checkpoint-signer.ts'
import { verifyTrail } from './verify-trail.ts'

export interface RetentionPolicy {
  /** Purge events received longer ago than this (ms). */
  retentionMs: number
  /** Never purge events received more recently than this (ms)… */
  minRetentionMs: number
  /** …unless this gives the reason (an explicit override). */
  belowMinimum?: string
}

export interface PurgeOptions {
  store: EventStore
  holds: HoldStore
  signer: CheckpointSigner & { publicKey: KeyObject }
  policy: RetentionPolicy
  clock?: Clock
}

/** The legal hold that stopped a purge short, and the first event it covers (the purge stopped before it). */
export interface HeldBack {
  hold: string
  reason: string
  seq: number
}

export interface PurgeResult {
  purged: number
  /** The anchor written, or null when nothing was purged. */
  anchor: Required<Anchor> | null
  /** The first purged seq, or null when nothing was purged. */
  from_seq: number | null
  /** Set when a legal hold kept the purge from going further. */
  held: HeldBack | null
  /** The reason given to purge below the minimum retention, when this purge needed it. */
  below_minimum: string | null
}

/** Refuses a policy no purge may run with: TT_ERR_RETENTION_INVALID, or TT_ERR_RETENTION_BELOW_MINIMUM without a reason to go below it. */
export function checkPolicy(policy: RetentionPolicy): void {
  const { retentionMs, minRetentionMs } = policy
  for (const [name, ms] of [['retention age', retentionMs], ['minimum retention', minRetentionMs]] as const) {
    if (!Number.isFinite(ms) || ms <= 0) throw ERR_RETENTION_INVALID.create(`the ${name} must be a positive duration`)
  }
  if (retentionMs < minRetentionMs && policy.belowMinimum === undefined) throw ERR_RETENTION_BELOW_MINIMUM.create(formatDuration(retentionMs), formatDuration(minRetentionMs))
}

/** Planning again after a hold was placed mid-purge: beyond this many, the holds change too often to purge. */
const ATTEMPTS = 3

export async function purgeExpired(options: PurgeOptions): Promise<PurgeResult> {
  const { store, holds, signer, policy } = options
  const clock = options.clock ?? systemClock
  checkPolicy(policy)
  const { retentionMs, minRetentionMs } = policy
  const belowMinimum = retentionMs < minRetentionMs ? policy.belowMinimum : undefined

  for (let attempt = 1; ; attempt++) {
    const nowMicros = clock.nowMicros()
    const previous = (await store.anchor())?.seq ?? 0
    let through = await store.lastSeqReceivedBefore(formatMicros(nowMicros - retentionMs * 1000))
    if (belowMinimum === undefined) {
      // Nor past a checkpoint signed within the minimum retention: its event may be that young,
      // and verify --checkpoints reads a purge of it as a premature one (docs/verification.md).
      const young = (await store.checkpoints()).find((c) => c.seq > previous && timestampMicros(c.time) > nowMicros - minRetentionMs * 1000)
      if (young !== undefined) through = Math.min(through, young.seq - 1)
    }
    const placed = await holds.listHolds()
    const held = through > previous ? await firstHeld(store, placed, previous, through) : undefined
    if (held !== undefined) through = held.seq - 1
    const result = { held: held ?? null, below_minimum: belowMinimum ?? null }
    if (through <= previous) return { purged: 0, anchor: null, from_seq: null, ...result }

    const report = await verifyTrail(store, signer.publicKey)
    if (!report.ok && report.problem!.seq <= through) {
      throw ERR_RETENTION_INVALID.create(`the trail does not verify (${report.problem!.message}); nothing was purged`)
    }
    const [last] = await store.query({ afterSeq: through - 1, beforeSeq: through + 1, limit: 1 })
    if (last === undefined) throw ERR_RETENTION_INVALID.create(`event seq ${through} vanished during the purge; nothing was purged`)
    const purged = through - previous
    const anchor = signer.signAnchor({
      seq: through, hash: last.hash, time: formatMicros(nowMicros), purged, newest_received_at: last.received_at,
      min_retention_ms: minRetentionMs, retention_ms: retentionMs, below_minimum: belowMinimum ?? null,
    })
    if (await store.purge(anchor, placed.length)) return { purged, anchor, from_seq: previous + 1, ...result }
    if (attempt === ATTEMPTS) throw ERR_RETENTION_INVALID.create('legal holds were placed during each attempt to purge; nothing was purged, retry')
  }
}

/** The first event with afterSeq < seq ≤ throughSeq that a hold in force covers, and that hold. */
async function firstHeld(store: EventStore, holds: readonly LegalHold[], afterSeq: number, throughSeq: number): Promise<HeldBack | undefined> {
  let first: HeldBack | undefined
  for (const hold of holds) {
    if (hold.released_at !== null) continue
    const before = first?.seq ?? throughSeq + 1
    const seq = await firstCovered(store, hold, afterSeq, before)
    if (seq !== undefined && seq < before) first = { hold: hold.id, reason: hold.reason, seq }
  }
  return first
}

/** The first seq in (afterSeq, beforeSeq) that `hold` covers. */
async function firstCovered(store: EventStore, hold: LegalHold, afterSeq: number, beforeSeq: number): Promise<number | undefined> {
  const range = { afterSeq, beforeSeq, limit: 1, order: 'asc' as const }
  if (hold.project !== null) return (await store.query({ ...range, project: hold.project }))[0]?.seq
  const stamped = (await store.query({ ...range, since: hold.from!, until: hold.to! }))[0]?.seq
  // received_at never decreases along seq: the first event received from `from` on is the only candidate.
  const candidate = Math.max(afterSeq, await store.lastSeqReceivedBefore(hold.from!.slice(0, 26) + 'Z')) + 1
  const [next] = candidate < beforeSeq ? await store.query({ afterSeq: candidate - 1, beforeSeq: candidate + 1, limit: 1 }) : []
  const received = next !== undefined && timestampKey(next.received_at)! < hold.to! ? next.seq : undefined
  return [stamped, received].filter((s) => s !== undefined).sort((a, b) => a - b)[0]
}
