/**
 * How a group of batches crosses to the writer thread: UTF-8 in one buffer whose memory is
 * transferred, not copied — no structured clone of event objects, and no concatenated string
 * for the collector's heap to flatten and collect. One line per event, fields separated by
 * tabs; no field can hold a raw tab or newline (ids, keys, projects and types are restricted,
 * and the rest is JSON text, which escapes both).
 */
import type { EncodedEvent } from './sqlite-chain-writer.ts'

/** The group as UTF-8 lines, and the number of events in each batch. */
export interface EncodedGroup {
  bytes: Uint8Array
  counts: number[]
}

const TAB = 9
const NEWLINE = 10

export function encodeGroup(group: readonly (readonly EncodedEvent[])[]): EncodedGroup {
  let chars = 0
  const sources: Array<string | null> = []
  for (const batch of group) {
    for (const e of batch) {
      const source = e.source === null ? null : JSON.stringify(e.source)
      sources.push(source)
      chars += e.id.length + e.tsKey.length + e.project.length + e.type.length + 2 + (source?.length ?? 0) + e.prefix.length + e.suffix.length + 8
    }
  }
  // Not from the shared pool: this memory is handed to the writer thread whole.
  const bytes = Buffer.allocUnsafeSlow(chars * 3)
  const counts: number[] = []
  let at = 0
  let i = 0
  for (const batch of group) {
    counts.push(batch.length)
    for (const e of batch) {
      at += bytes.write(e.id, at, 'latin1')
      bytes[at++] = TAB
      at += bytes.write(e.tsKey, at, 'latin1')
      bytes[at++] = TAB
      at += bytes.write(e.project, at, 'latin1')
      bytes[at++] = TAB
      at += bytes.write(e.type, at, 'latin1')
      bytes[at++] = TAB
      bytes[at++] = 48 + e.severity
      bytes[at++] = TAB
      const source = sources[i++]
      if (source !== null) at += bytes.write(source!, at)
      bytes[at++] = TAB
      at += bytes.write(e.prefix, at)
      bytes[at++] = TAB
      at += bytes.write(e.suffix, at)
      bytes[at++] = NEWLINE
    }
  }
  return { bytes: bytes.subarray(0, at), counts }
}

export function decodeGroup(encoded: EncodedGroup): EncodedEvent[][] {
  const { counts } = encoded
  const text = Buffer.from(encoded.bytes.buffer, encoded.bytes.byteOffset, encoded.bytes.byteLength).toString('utf8')
  const group: EncodedEvent[][] = []
  let at = 0
  for (const count of counts) {
    const batch: EncodedEvent[] = new Array(count)
    for (let i = 0; i < count; i++) {
      const end = text.indexOf('\n', at)
      const f = text.slice(at, end).split('\t')
      at = end + 1
      batch[i] = { id: f[0]!, tsKey: f[1]!, project: f[2]!, type: f[3]!, severity: Number(f[4]), source: f[5] === '' ? null : JSON.parse(f[5]!) as string, prefix: f[6]!, suffix: f[7]! }
    }
    group.push(batch)
  }
  return group
}
