/**
 * The chain that makes the trail tamper-evident:
 *
 *   hash(n) = SHA-256( hash(n-1) ‖ UTF-8( JCS(event n without "hash") ) )
 *
 * with hash(0) = 32 zero bytes. Any change, deletion, insertion or reordering of a
 * stored event changes every hash after it. This file is the single definition the
 * stores, `verify` and the known-answer vectors (../test-vectors/hash-chain.json) use.
 */
import { createHash, hash } from 'node:crypto'
import { canonicalize } from './canonical-json.ts'
import type { StoredEvent } from './event.ts'

/** prev_hash of the first event. */
export const GENESIS_HASH: Buffer = Buffer.alloc(32)

/**
 * The fields an event's hash covers, with `data` and `metadata` already in canonical
 * JSON text (the stores keep them that way, so verification never re-parses them).
 */
export interface ChainFields {
  seq: number
  id: string
  ts: string
  project: string
  type: string
  severity: string
  message: string
  source?: string | null | undefined
  actor?: string | null | undefined
  dataJson?: string | null | undefined
  metadataJson?: string | null | undefined
  /** Comma-free flag names, already sorted. */
  flags?: readonly string[] | null | undefined
  received_at: string
}

/**
 * JCS text of a stored event without its hash. Keys are written in their sorted
 * order by hand: this runs once per event on append and on verify.
 */
export function canonicalEventText(e: ChainFields): string {
  let out = '{'
  if (e.actor != null) out += '"actor":' + JSON.stringify(e.actor) + ','
  if (e.dataJson != null) out += '"data":' + e.dataJson + ','
  if (e.flags != null && e.flags.length > 0) out += '"flags":' + JSON.stringify(e.flags) + ','
  out += '"id":' + JSON.stringify(e.id) + ',"message":' + JSON.stringify(e.message) + ','
  if (e.metadataJson != null) out += '"metadata":' + e.metadataJson + ','
  out += '"project":' + JSON.stringify(e.project) + ',"received_at":' + JSON.stringify(e.received_at) +
    ',"seq":' + e.seq + ',"severity":' + JSON.stringify(e.severity) + ','
  if (e.source != null) out += '"source":' + JSON.stringify(e.source) + ','
  return out + '"ts":' + JSON.stringify(e.ts) + ',"type":' + JSON.stringify(e.type) + '}'
}

// One scratch buffer for prev ‖ text: crypto.hash() on it is ~40% cheaper per event than a
// createHash() object (bench/store-append.bench.ts).
// Made on first use: processes that never chain (a bot with the SDK) do not carry it.
let scratch = Buffer.alloc(0)

/** SHA-256(prev ‖ canonical), as 32 raw bytes. */
export function chainHash(prev: Uint8Array, canonicalText: string): Buffer {
  if (scratch.length === 0) scratch = Buffer.allocUnsafe(256 * 1024)
  if (canonicalText.length * 3 + 32 <= scratch.length) {
    scratch.set(prev, 0)
    const n = scratch.write(canonicalText, 32, 'utf8')
    return hash('sha256', scratch.subarray(0, 32 + n), 'buffer') as unknown as Buffer
  }
  return createHash('sha256').update(prev).update(canonicalText, 'utf8').digest()
}

/** The chain hash of a stored event given its predecessor's hash (for verifiers working from exported JSON). */
export function hashStoredEvent(prev: Uint8Array, event: Omit<StoredEvent, 'hash'> & { hash?: string }): Buffer {
  const { hash: _ignored, data, metadata, ...rest } = event
  return chainHash(prev, canonicalEventText({
    ...rest,
    dataJson: data === undefined ? undefined : canonicalize(data),
    metadataJson: metadata === undefined ? undefined : canonicalize(metadata),
  }))
}
