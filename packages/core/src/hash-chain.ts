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
  submitter?: string | null | undefined
}

/**
 * JCS text of a stored event without its hash. Keys are written in their sorted
 * order by hand (canonicalParts): this runs once per event on append.
 */
export function canonicalEventText(e: ChainFields): string {
  const { prefix, suffix } = canonicalParts(e)
  return prefix + '"received_at":' + JSON.stringify(e.received_at) + ',"seq":' + e.seq + ',' + suffix
}

/**
 * The canonical text of an event split around the two fields only the writer knows
 * (`received_at` and `seq` sort next to each other): the text is
 * `prefix + '"received_at":"<r>","seq":<n>,' + suffix`. The collector computes the parts once
 * per event on its event loop; the writer thread only concatenates, hashes and stores.
 */
export interface CanonicalParts {
  /** `{` up to and including `"project":"…",`. */
  prefix: string
  /** From `"severity":` to the closing `}`. */
  suffix: string
}

/** The parts of an event's canonical text (see CanonicalParts). */
export function canonicalParts(e: Omit<ChainFields, 'seq' | 'received_at'>): CanonicalParts {
  let prefix = '{'
  if (e.actor != null) prefix += '"actor":' + JSON.stringify(e.actor) + ','
  if (e.dataJson != null) prefix += '"data":' + e.dataJson + ','
  if (e.flags != null && e.flags.length > 0) prefix += '"flags":' + JSON.stringify(e.flags) + ','
  prefix += '"id":' + JSON.stringify(e.id) + ',"message":' + JSON.stringify(e.message) + ','
  if (e.metadataJson != null) prefix += '"metadata":' + e.metadataJson + ','
  prefix += '"project":' + JSON.stringify(e.project) + ','
  let suffix = '"severity":' + JSON.stringify(e.severity) + ','
  if (e.source != null) suffix += '"source":' + JSON.stringify(e.source) + ','
  if (e.submitter != null) suffix += '"submitter":' + JSON.stringify(e.submitter) + ','
  suffix += '"ts":' + JSON.stringify(e.ts) + ',"type":' + JSON.stringify(e.type) + '}'
  return { prefix, suffix }
}

/** The canonical text of the event whose parts are given, stored at `seq` at `receivedAt`. */
export function joinCanonical(parts: CanonicalParts, seq: number, receivedAt: string): string {
  return parts.prefix + '"received_at":"' + receivedAt + '","seq":' + seq + ',' + parts.suffix
}

/**
 * The `seq` a canonical event text states. Top-level keys are sorted and every key after
 * `seq` holds a JSON string (in which a quote is escaped), so the last `"seq":` is the top-level one.
 */
export function canonicalSeq(text: string): number {
  const at = text.lastIndexOf('"seq":')
  if (at < 0) return NaN
  let n = 0
  let i = at + 6
  for (let c = text.charCodeAt(i); c >= 48 && c <= 57; c = text.charCodeAt(++i)) n = n * 10 + (c - 48)
  return i === at + 6 ? NaN : n
}

// One scratch buffer for prev ‖ text: crypto.hash() on it is ~40% cheaper per event than a
// createHash() object (bench/store-append.bench.ts).
// Made on first use: processes that never chain (a bot with the SDK) do not carry it.
let scratch = Buffer.alloc(0)

/** SHA-256(prev ‖ canonical), as 32 raw bytes. */
export function chainHash(prev: Uint8Array, canonicalText: string | Uint8Array): Buffer {
  if (typeof canonicalText !== 'string') return chainHashBytes(prev, canonicalText)
  if (scratch.length === 0) scratch = Buffer.allocUnsafe(256 * 1024)
  if (canonicalText.length * 3 + 32 <= scratch.length) {
    scratch.set(prev, 0)
    const n = scratch.write(canonicalText, 32, 'utf8')
    return hash('sha256', scratch.subarray(0, 32 + n), 'buffer') as unknown as Buffer
  }
  return createHash('sha256').update(prev).update(canonicalText, 'utf8').digest()
}

/**
 * chainHash with both hashes as lower-case hex, as the stores read them back: verify compares
 * texts and allocates no Buffer per event (its bench: ~1 µs of its ~5 µs per event went to them).
 */
export function chainHashHex(prevHex: string, canonicalText: string): string {
  if (scratch.length === 0) scratch = Buffer.allocUnsafe(256 * 1024)
  if (canonicalText.length * 3 + 32 > scratch.length) return chainHash(Buffer.from(prevHex, 'hex'), canonicalText).toString('hex')
  scratch.write(prevHex, 0, 32, 'hex')
  const n = scratch.write(canonicalText, 32, 'utf8')
  return hash('sha256', scratch.subarray(0, 32 + n), 'hex')
}

/** chainHash over canonical text that is already UTF-8 bytes (what the stores keep). */
export function chainHashBytes(prev: Uint8Array, canonical: Uint8Array): Buffer {
  if (scratch.length === 0) scratch = Buffer.allocUnsafe(256 * 1024)
  if (canonical.length + 32 <= scratch.length) {
    scratch.set(prev, 0)
    scratch.set(canonical, 32)
    return hash('sha256', scratch.subarray(0, 32 + canonical.length), 'buffer') as unknown as Buffer
  }
  return createHash('sha256').update(prev).update(canonical).digest()
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
