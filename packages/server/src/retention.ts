/**
 * Retention: purges whole ranges of the oldest events, never single ones. Before
 * purging it verifies the trail, so it never anchors a tampered history; it leaves a
 * signed anchor (seq and chain hash of the last purged event) from which the rest of
 * the trail still verifies.
 */
import type { KeyObject } from 'node:crypto'
import { type Anchor, type Clock, ERR_RETENTION_INVALID, type EventStore, formatMicros, systemClock } from '@tradetrail/core'
import type { CheckpointSigner } from './checkpoint-signer.ts'
import { verifyTrail } from './verify-trail.ts'

export interface PurgeOptions {
  store: EventStore
  signer: CheckpointSigner & { publicKey: KeyObject }
  /** Purge events received longer ago than this. */
  maxAgeMs: number
  clock?: Clock
}

export interface PurgeResult {
  purged: number
  /** The anchor written, or null when nothing was old enough. */
  anchor: Anchor | null
}

export async function purgeExpired(options: PurgeOptions): Promise<PurgeResult> {
  const { store, signer, maxAgeMs } = options
  const clock = options.clock ?? systemClock
  if (!Number.isFinite(maxAgeMs) || maxAgeMs <= 0) throw ERR_RETENTION_INVALID.create('the retention age must be a positive duration')
  const nowMicros = clock.nowMicros()
  const cutoff = formatMicros(nowMicros - maxAgeMs * 1000)
  const previous = await store.anchor()
  const through = await store.lastSeqReceivedBefore(cutoff)
  if (through <= (previous?.seq ?? 0)) return { purged: 0, anchor: null }

  const report = await verifyTrail(store, signer.publicKey)
  if (!report.ok && report.problem!.seq <= through) {
    throw ERR_RETENTION_INVALID.create(`the trail does not verify (${report.problem!.message}); nothing was purged`)
  }
  const last = await store.hashAt(through)
  if (last === undefined) throw ERR_RETENTION_INVALID.create(`event seq ${through} vanished during the purge; nothing was purged`)
  const purged = through - (previous?.seq ?? 0)
  const anchor: Anchor = { ...signer.sign({ seq: through, hash: last.toString('hex'), time: formatMicros(nowMicros) }), purged }
  await store.purge(anchor)
  return { purged, anchor }
}
