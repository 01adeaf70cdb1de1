/**
 * What `tradetrail checkpoints --json` and GET /v1/checkpoints answer: every checkpoint, every
 * retention anchor and the public key that checks them (docs/verification.md §5).
 */
import type { Anchor, Checkpoint, EventStore } from '@tradetrail/core'
import type { CheckpointSigner } from './checkpoint-signer.ts'

export interface CheckpointsExport {
  algorithm: 'ed25519'
  key_id: string
  public_key: string
  /** The newest anchor (where the chain starts), or null when nothing was ever purged. */
  anchor: Anchor | null
  /** Every anchor, one per purge, in seq order. */
  anchors: Anchor[]
  checkpoints: Checkpoint[]
}

export async function checkpointsExport(store: EventStore, signer: Pick<CheckpointSigner, 'keyId' | 'publicKeyPem'>): Promise<CheckpointsExport> {
  const anchors = await store.anchors()
  return { algorithm: 'ed25519', key_id: signer.keyId, public_key: signer.publicKeyPem, anchor: anchors.at(-1) ?? null, anchors, checkpoints: await store.checkpoints() }
}
