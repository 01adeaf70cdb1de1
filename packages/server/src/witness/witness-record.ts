/**
 * What a witness receives: each checkpoint and retention anchor as the trail signed and keeps
 * it, with its kind first. The same JSON object is a witness file's content (plus a line feed)
 * and the body of a POST to a witness endpoint (docs/verification.md, "Witnesses").
 */
import { createHash } from 'node:crypto'
import type { Anchor, Checkpoint } from '@tradetrail/core'

export const WITNESS_KINDS = ['checkpoint', 'anchor'] as const
export type WitnessKind = (typeof WITNESS_KINDS)[number]

export type WitnessRecord = ({ kind: 'checkpoint' } & Checkpoint) | ({ kind: 'anchor' } & Anchor)

/**
 * Names one signed record wherever it goes: `<kind>-<seq>-<the first 32 hex digits of SHA-256
 * over the signature text>`. Sent as `Idempotency-Key`, so that a receiver keeps a record sent
 * twice (a retry after a lost answer) once.
 */
export function witnessKey(record: WitnessRecord): string {
  return `${record.kind}-${record.seq}-${createHash('sha256').update(record.signature).digest('hex').slice(0, 32)}`
}

/** `checkpoint-00000000000000012345.json`: one file per record, in seq order when listed. */
export function witnessFileName(record: Pick<WitnessRecord, 'kind' | 'seq'>): string {
  return `${record.kind}-${String(record.seq).padStart(20, '0')}.json`
}

export const WITNESS_FILE_NAME = /^(checkpoint|anchor)-\d{20}\.json$/

/** Whether two records state the same signed thing (an anchor read back may carry members this version does not know). */
export function sameRecord(a: WitnessRecord, b: WitnessRecord): boolean {
  return a.kind === b.kind && a.seq === b.seq && a.hash === b.hash && a.time === b.time && a.key_id === b.key_id && a.signature === b.signature
}

/** A record read back from a witness, or what is wrong with it. */
export function parseWitnessRecord(value: unknown): WitnessRecord | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object'
  const r = value as Record<string, unknown>
  if (!(WITNESS_KINDS as readonly unknown[]).includes(r.kind)) return '"kind" is not "checkpoint" or "anchor"'
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return '"seq" is not a positive integer'
  for (const member of ['hash', 'time', 'key_id', 'signature']) if (typeof r[member] !== 'string') return `"${member}" is not a string`
  return r as unknown as WitnessRecord
}
