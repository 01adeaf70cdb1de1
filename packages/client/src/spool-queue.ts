/**
 * The client's disk queue: batches the collector has not acknowledged yet, oldest first, in
 * append-only segment files `<16 digits>.seg` inside one directory. Each record is framed
 * `[u32 length][u32 crc32][u32 events]["TTS2"][payload]` (little-endian; `length` counts the
 * marker and the payload, the CRC covers everything after itself), appended with O_APPEND and
 * fdatasync'd before `append` resolves. Segments of the first format (no marker) are still
 * read; new records always go to a segment of the current one.
 *
 * At open only a torn tail (the last record of the newest segment running past the end of the
 * file: a crash mid-write, never acknowledged) is cut silently. Any other damage is reported:
 * the segment is copied aside as `<name>.corrupt-<k>`, reading resynchronises on the next
 * valid frame (the marker, then the CRC; for first-format segments the CRC at every offset),
 * and the segment is rewritten with its intact records only.
 *
 * Delivery progress is a small `cursor` file (segment and offset) replaced by rename; it is
 * not fsync'd, because losing it only means some delivered batches are sent again and the
 * collector stores each event id once. One process owns a spool at a time (`lock` file
 * holding its pid; a dead owner's lock is taken over).
 */
import { closeSync, constants as fsConstants, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, writeFileSync, writeSync } from 'node:fs'
import { type FileHandle, copyFile, mkdir, open, readdir, readFile, rename, truncate, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { ERR_CLIENT_SPOOL, type TradetrailError } from '@tradetrail/core'
import { ioReason } from './io-reason.ts'

/** `[u32 length][u32 crc32][u32 events]`, common to both formats. */
const HEADER = 12
/** Format 2 follows the header with this marker, which resynchronising searches for. */
const MARKER = Buffer.from('TTS2')
const MARKER_U32 = MARKER.readUInt32LE(0)
/** Framing of a record written today. */
const FRAME = HEADER + MARKER.length
const SEGMENT_RE = /^(\d{16})\.seg$/
/** A frame longer than this is corruption, not a batch. */
const MAX_RECORD = 256 * 1024 * 1024
/** Buffers per writev, well under Linux's IOV_MAX (1024), beyond which a write comes back short. */
const MAX_IOVECS = 512

export interface SpoolOptions {
  /** Largest total size of undelivered records, in bytes. */
  maxBytes: number
  /** A new segment starts once the current one is this large (default 4 MiB). */
  segmentBytes?: number
  /** Hears of damage found after the spool opened (damage found while opening is in `warnings`). */
  onWarning?: (warning: TradetrailError) => void
}

/** One batch read back from the spool. */
export interface SpoolRecord {
  body: Buffer
  events: number
}

type Version = 1 | 2

interface Segment {
  n: number
  /** Its record format: 1 for segments of SDKs before the marker, which are read, never appended to. */
  version: Version
  size: number
  /** Undelivered records and events in it. */
  records: number
  events: number
  /** Damaged byte ranges (start → end) found by `peek` after open, jumped over from then on. */
  skips?: Map<number, number>
}

/** A damaged byte range of a segment: from its first bad byte to the next intact record (or the end). */
interface Gap {
  from: number
  to: number
}

function segmentName(n: number): string {
  return `${String(n).padStart(16, '0')}.seg`
}

/** The header and marker of a record; the CRC continues from the event count into the body. */
function frameHeader(body: Buffer, events: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME)
  header.writeUInt32LE(MARKER.length + body.length, 0)
  header.writeUInt32LE(events, 8)
  MARKER.copy(header, HEADER)
  header.writeUInt32LE(crc32(body, crc32(header.subarray(8))), 4)
  return header
}

function frame(body: Buffer, events: number): Buffer {
  return Buffer.concat([frameHeader(body, events), body])
}

/**
 * Writes all of `data` at the end of `fd`, or nothing: a short write (disk full) is cut back
 * off, so that no half record sits in front of records written later.
 */
function writeWhole(fd: number, data: Buffer): void {
  const before = fstatSync(fd).size
  const written = writeSync(fd, data)
  if (written !== data.length) {
    ftruncateSync(fd, before)
    throw Object.assign(new Error(`short write (${written} of ${data.length} bytes)`), { code: 'ENOSPC' })
  }
}

function headerBytes(version: Version): number {
  return version === 2 ? FRAME : HEADER
}

/** Offset just past the record at `offset` in `data`, or -1 when there is no whole, intact one. */
function recordEnd(data: Buffer, offset: number, version: Version): number {
  if (offset + headerBytes(version) > data.length) return -1
  const length = data.readUInt32LE(offset)
  const end = offset + HEADER + length
  if (length > MAX_RECORD || end > data.length || end < offset + headerBytes(version)) return -1
  // The CRC alone would accept a first-format frame in a format-2 segment.
  if (version === 2 && data.readUInt32LE(offset + HEADER) !== MARKER_U32) return -1
  return crc32(data.subarray(offset + 8, end)) === data.readUInt32LE(offset + 4) ? end : -1
}

/**
 * Start of the first intact record at or after `from`, or -1. Format 2 looks only where the
 * marker is; format 1 has nothing to look for but a frame whose CRC checks, at any offset
 * (a false match needs a 32-bit CRC to agree by chance).
 */
function nextRecord(data: Buffer, from: number, version: Version): number {
  if (version === 2) {
    for (let m = data.indexOf(MARKER, from + HEADER); m >= 0; m = data.indexOf(MARKER, m + 1)) {
      if (recordEnd(data, m - HEADER, 2) >= 0) return m - HEADER
    }
    return -1
  }
  for (let offset = from; offset + HEADER <= data.length; offset++) {
    if (recordEnd(data, offset, 1) >= 0) return offset
  }
  return -1
}

/** A segment is of format 2 when any record in it has the marker; an empty one is new. */
function segmentVersion(data: Buffer): Version {
  return data.length === 0 || nextRecord(data, 0, 2) >= 0 ? 2 : 1
}

/** The intact records of `data` from `from` on, and the damaged ranges between them. */
function scanSegment(data: Buffer, from: number, version: Version): { records: number; events: number; bytes: number; gaps: Gap[] } {
  const scan = { records: 0, events: 0, bytes: 0, gaps: [] as Gap[] }
  let offset = from
  while (offset < data.length) {
    const end = recordEnd(data, offset, version)
    if (end >= 0) {
      scan.records++
      scan.events += data.readUInt32LE(offset + 8)
      scan.bytes += end - offset
      offset = end
      continue
    }
    const next = nextRecord(data, offset + 1, version)
    const to = next < 0 ? data.length : next
    scan.gaps.push({ from: offset, to })
    offset = to
  }
  return scan
}

/**
 * Whether the damaged range from `from` to the end of `data` is what a crash mid-append
 * leaves: a prefix of a record, its length (when there) pointing past the end. A whole record
 * whose length alone is wrong (its CRC checks up to the end) is damage, not a torn write.
 */
function isTornTail(data: Buffer, from: number, version: Version): boolean {
  const have = data.length - from
  if (have >= 4) {
    const length = data.readUInt32LE(from)
    if (length > MAX_RECORD || length < headerBytes(version) - HEADER || from + HEADER + length <= data.length) return false
  }
  if (version === 2 && have > HEADER) {
    const present = data.subarray(from + HEADER, Math.min(data.length, from + FRAME))
    if (!present.equals(MARKER.subarray(0, present.length))) return false
  }
  return !(have >= headerBytes(version) && crc32(data.subarray(from + 8)) === data.readUInt32LE(from + 4))
}

/**
 * Events a damaged range held according to the header at its start, when the header can be
 * believed: its length ends the record where the next intact one starts, or the CRC checks
 * up to there (only the length was hit). `atLeast` when the segment ends inside that record.
 */
function gapEvents(data: Buffer, gap: Gap, version: Version): { events: number; atLeast: boolean } | undefined {
  if (gap.to - gap.from < headerBytes(version)) return undefined
  const length = data.readUInt32LE(gap.from)
  const events = data.readUInt32LE(gap.from + 8)
  if (gap.from + HEADER + length === gap.to || crc32(data.subarray(gap.from + 8, gap.to)) === data.readUInt32LE(gap.from + 4)) return { events, atLeast: false }
  const marked = version === 1 || data.readUInt32LE(gap.from + HEADER) === MARKER_U32
  if (gap.to === data.length && length <= MAX_RECORD && gap.from + HEADER + length > gap.to && marked) return { events, atLeast: true }
  return undefined
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

function describeEvents(held: { events: number; atLeast: boolean } | undefined): string {
  if (!held) return 'an unknown number of events'
  return held.atLeast ? `at least ${count(held.events, 'event')} (by its header; the segment ends inside that record)` : `${count(held.events, 'event')} (by its header)`
}

/** Copies a damaged segment to the first free `<name>.corrupt-<k>`, durably; returns that name. */
async function keepAside(path: string): Promise<string> {
  for (let k = 1; ; k++) {
    const copy = `${path}.corrupt-${k}`
    try {
      await copyFile(path, copy, fsConstants.COPYFILE_EXCL)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw error
    }
    const handle = await open(copy, 'r+')
    try {
      await handle.datasync()
    } finally {
      await handle.close()
    }
    return copy.slice(copy.lastIndexOf('/') + 1)
  }
}

/** Replaces `path` by `data` atomically (a crash leaves the old or the new file, whole). */
async function replaceFile(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp`
  const handle = await open(tmp, 'w', 0o600)
  try {
    await handle.writeFile(data)
    await handle.datasync()
  } finally {
    await handle.close()
  }
  await rename(tmp, path)
}

/** `offset`, or the end of the damaged range(s) starting there. */
function skipDamaged(segment: Segment, offset: number): number {
  for (let end = segment.skips?.get(offset); end !== undefined; end = segment.skips!.get(offset)) offset = end
  return offset
}

function spoolError(dir: string, error: unknown): TradetrailError {
  return ERR_CLIENT_SPOOL.create(dir, ioReason(error))
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Spools this process holds, by real path. A lock naming our own pid on any other was left by
 * an earlier process that had the same pid: a restarted container's main process is pid 1 again.
 */
const held = new Set<string>()

/** The live process named by `dir`'s lock file, if any. */
function lockOwner(dir: string): number | undefined {
  let owner = NaN
  try {
    owner = Number.parseInt(readFileSync(join(dir, 'lock'), 'utf8'), 10)
  } catch {
    // No lock (or an unreadable one): nobody owns it.
  }
  return Number.isInteger(owner) && pidAlive(owner) ? owner : undefined
}

/** Segment numbers among `names` (a directory listing), ascending. */
function segmentNumbers(names: readonly string[]): number[] {
  return names.flatMap((name) => {
    const match = SEGMENT_RE.exec(name)
    return match ? [Number(match[1])] : []
  }).sort((a, b) => a - b)
}

/** Takes the spool's lock for this process, or throws naming the process that holds it; returns the key for `unlock`. */
function lock(dir: string): string {
  const key = realpathSync(dir)
  const path = join(dir, 'lock')
  try {
    writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 })
    held.add(key)
    return key
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const owner = lockOwner(dir)
  if (owner !== undefined && (owner !== process.pid || held.has(key))) {
    throw ERR_CLIENT_SPOOL.create(dir, `it is in use by process ${owner}; give each client its own spoolDir`)
  }
  writeFileSync(path, String(process.pid), { mode: 0o600 })
  held.add(key)
  return key
}

async function unlock(dir: string, key: string): Promise<void> {
  held.delete(key)
  await unlink(join(dir, 'lock')).catch(() => undefined)
}

export class SpoolQueue {
  readonly dir: string
  readonly maxBytes: number
  /** Problems met while opening (a corrupt record skipped); the spool works regardless. */
  readonly warnings: TradetrailError[] = []
  readonly #segmentBytes: number
  readonly #onWarning: ((warning: TradetrailError) => void) | undefined
  #segments: Segment[] = []
  #readOffset = 0
  #reader: FileHandle | undefined
  #readerSegment = -1
  #writer: FileHandle | undefined
  #peeked: { end: number; events: number } | undefined
  #pendingBytes = 0
  #pendingEvents = 0
  #pendingRecords = 0
  #closed = false
  #lockKey = ''

  private constructor(dir: string, options: SpoolOptions) {
    this.dir = dir
    this.maxBytes = options.maxBytes
    this.#segmentBytes = options.segmentBytes ?? 4 * 1024 * 1024
    this.#onWarning = options.onWarning
  }

  /** Opens (creating if needed) the spool in `dir`; throws TT_ERR_CLIENT_SPOOL when it cannot be used. */
  static async open(dir: string, options: SpoolOptions): Promise<SpoolQueue> {
    const spool = new SpoolQueue(dir, options)
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      spool.#lockKey = lock(dir)
      await spool.#recover()
    } catch (error) {
      // Otherwise this process would find its own live pid in the lock at every later open.
      if (spool.#lockKey !== '') await unlock(dir, spool.#lockKey)
      throw (error as TradetrailError).code === ERR_CLIENT_SPOOL.code ? error : spoolError(dir, error)
    }
    return spool
  }

  /** Undelivered events. */
  get pendingEvents(): number { return this.#pendingEvents }
  /** Undelivered records (batches). */
  get pendingRecords(): number { return this.#pendingRecords }
  /** Bytes of undelivered records, framing included. */
  get pendingBytes(): number { return this.#pendingBytes }

  /** Whether a batch of `bytes` fits under maxBytes. */
  fits(bytes: number): boolean {
    return this.#pendingBytes + FRAME + bytes <= this.maxBytes
  }

  async #recover(): Promise<void> {
    const numbers = segmentNumbers(await readdir(this.dir))
    let cursorSegment = numbers[0] ?? 0
    let cursorOffset = 0
    try {
      const [s, o] = (await readFile(join(this.dir, 'cursor'), 'utf8')).trim().split(' ').map(Number)
      // A cursor naming no segment on disk cannot be ours: trusting it would delete every older one.
      if (Number.isSafeInteger(s) && Number.isSafeInteger(o) && o! >= 0 && numbers.includes(s!)) [cursorSegment, cursorOffset] = [s!, o!]
    } catch {
      // No cursor yet, or an unreadable one: start at the oldest segment (resends are harmless).
    }
    for (const n of numbers) {
      if (n < cursorSegment) {
        await unlink(join(this.dir, segmentName(n))) // delivered; its removal was cut short
        continue
      }
      const path = join(this.dir, segmentName(n))
      const data = await readFile(path)
      // Bytes before the cursor were delivered: whatever became of them is no loss.
      const start = n === cursorSegment ? Math.min(cursorOffset, data.length) : 0
      if (n === cursorSegment) this.#readOffset = start
      const version = segmentVersion(data)
      const scan = scanSegment(data, start, version)
      let end = data.length
      const last = scan.gaps[scan.gaps.length - 1]
      if (n === numbers[numbers.length - 1] && last?.to === data.length && isTornTail(data, last.from, version)) {
        scan.gaps.pop() // a torn last write was never acknowledged to anyone
        end = last.from
      }
      if (scan.gaps.length > 0) {
        end = await this.#repair(path, data, start, end, version, scan.gaps)
      } else if (end < data.length) {
        await truncate(path, end)
      }
      // A segment left empty takes new records whatever it held before.
      this.#segments.push({ n, version: end === 0 ? 2 : version, size: end, records: scan.records, events: scan.events })
      this.#pendingRecords += scan.records
      this.#pendingEvents += scan.events
      this.#pendingBytes += scan.bytes
    }
    if (this.#segments.length === 0 || this.#segments[0]!.n !== cursorSegment) this.#readOffset = 0
  }

  /**
   * Reports each damaged range of a segment, keeps the segment as found aside, and rewrites it
   * with the bytes before `start` and its intact records up to `end`, so that the damage is
   * reported once and appends land after intact records. Returns the new size.
   */
  async #repair(path: string, data: Buffer, start: number, end: number, version: Version, gaps: readonly Gap[]): Promise<number> {
    const kept = await keepAside(path)
    const name = path.slice(path.lastIndexOf('/') + 1)
    const intact = [data.subarray(0, start)]
    let offset = start
    for (const gap of gaps) {
      this.warnings.push(ERR_CLIENT_SPOOL.create(this.dir, `segment ${name} is damaged at bytes ${gap.from}-${gap.to}: ` +
        `${gap.to - gap.from} bytes holding ${describeEvents(gapEvents(data, gap, version))} were skipped, ` +
        `the intact records around them kept; the segment as found is in ${kept}`))
      intact.push(data.subarray(offset, gap.from))
      offset = gap.to
    }
    intact.push(data.subarray(offset, end))
    const repaired = Buffer.concat(intact)
    await replaceFile(path, repaired)
    return repaired.length
  }

  async #openWriter(): Promise<FileHandle> {
    const current = this.#segments[this.#segments.length - 1]
    if (this.#writer && current && current.size < this.#segmentBytes) return this.#writer
    await this.#writer?.close()
    this.#writer = undefined
    // Looked up again: an appendSync during the await may have started the first segment.
    let last = this.#segments[this.#segments.length - 1]
    if (!last || last.size >= this.#segmentBytes || last.version !== 2) {
      last = { n: last ? last.n + 1 : 0, version: 2, size: 0, records: 0, events: 0 }
      this.#segments.push(last)
    }
    this.#writer = await open(join(this.dir, segmentName(last.n)), 'a', 0o600)
    return this.#writer
  }

  /**
   * Appends one batch durably (written and fdatasync'd). Resolves false, writing nothing, when
   * it does not fit under maxBytes; throws TT_ERR_CLIENT_SPOOL when the disk refuses.
   */
  async append(body: Buffer, events: number): Promise<boolean> {
    return (await this.appendAll([{ body, events }])) === 1
  }

  /**
   * Appends the longest prefix of `batches` that fits under maxBytes, as one write and one
   * fdatasync (a backlog spills at the disk's bandwidth, not at one sync per batch). Resolves
   * how many were appended; throws TT_ERR_CLIENT_SPOOL, having appended none, when the disk
   * refuses. Calls must not overlap.
   */
  async appendAll(batches: ReadonlyArray<{ body: Buffer; events: number }>): Promise<number> {
    if (this.#closed) throw ERR_CLIENT_SPOOL.create(this.dir, 'it is closed')
    // Headers and bodies go to writev side by side: copying megabytes into one buffer
    // would stall the bot's event loop for longer than the write takes.
    const parts: Buffer[] = []
    let bytes = 0
    let events = 0
    for (const batch of batches) {
      if (parts.length >= MAX_IOVECS || this.#pendingBytes + bytes + FRAME + batch.body.length > this.maxBytes) break
      parts.push(frameHeader(batch.body, batch.events), batch.body)
      bytes += FRAME + batch.body.length
      events += batch.events
    }
    const records = parts.length / 2
    if (records === 0) return 0
    try {
      const writer = await this.#openWriter()
      const segment = this.#segments[this.#segments.length - 1]!
      const { bytesWritten } = await writer.writev(parts)
      if (bytesWritten !== bytes) {
        await writer.truncate(segment.size).catch(() => undefined)
        throw Object.assign(new Error('short write'), { code: 'ENOSPC' })
      }
      await writer.datasync()
      segment.size += bytes
      segment.records += records
      segment.events += events
    } catch (error) {
      throw spoolError(this.dir, error)
    }
    this.#pendingBytes += bytes
    this.#pendingEvents += events
    this.#pendingRecords += records
    return records
  }


  /**
   * `append` for the last moments of a process ('exit' handlers cannot wait): synchronous,
   * opening the newest segment afresh so it does not depend on the async writer's state.
   */
  appendSync(body: Buffer, events: number): boolean {
    if (this.#closed || !this.fits(body.length)) return false
    const record = frame(body, events)
    let last = this.#segments[this.#segments.length - 1]
    if (!last || last.version !== 2) {
      last = { n: last ? last.n + 1 : 0, version: 2, size: 0, records: 0, events: 0 }
      this.#segments.push(last)
    }
    try {
      const fd = openSync(join(this.dir, segmentName(last.n)), 'a', 0o600)
      try {
        writeWhole(fd, record)
        fdatasyncSync(fd)
      } finally {
        closeSync(fd)
      }
    } catch (error) {
      throw spoolError(this.dir, error)
    }
    last.size += record.length
    last.records++
    last.events += events
    this.#count(record.length, events)
    return true
  }

  #count(bytes: number, events: number): void {
    this.#pendingBytes += bytes
    this.#pendingEvents += events
    this.#pendingRecords++
  }

  /** The oldest undelivered batch, or undefined when there is none. Call `ack()` once it is delivered. */
  async peek(): Promise<SpoolRecord | undefined> {
    try {
      for (;;) {
        if (this.#pendingRecords === 0) return undefined
        const segment = this.#segments[0]!
        this.#readOffset = skipDamaged(segment, this.#readOffset)
        if (this.#readOffset >= segment.size) {
          if (this.#segments.length === 1) return undefined
          await this.#dropSegment()
          continue
        }
        if (this.#readerSegment !== segment.n) {
          await this.#reader?.close()
          this.#reader = await open(join(this.dir, segmentName(segment.n)), 'r')
          this.#readerSegment = segment.n
        }
        const head = headerBytes(segment.version)
        const header = Buffer.alloc(head)
        await this.#reader!.read(header, 0, head, this.#readOffset)
        const length = header.readUInt32LE(0)
        const body = Buffer.allocUnsafe(Math.max(0, Math.min(length, MAX_RECORD) - (head - HEADER)))
        const { bytesRead } = await this.#reader!.read(body, 0, body.length, this.#readOffset + head)
        const events = header.readUInt32LE(8)
        const end = this.#readOffset + HEADER + length
        if (length > MAX_RECORD || end > segment.size || bytesRead !== body.length || length < head - HEADER ||
          (segment.version === 2 && header.readUInt32LE(HEADER) !== MARKER_U32) ||
          crc32(body, crc32(header.subarray(8))) !== header.readUInt32LE(4)) {
          // Checked when the spool opened, so the disk changed under us.
          await this.#resync(segment)
          continue
        }
        this.#peeked = { end, events }
        return { body, events }
      }
    } catch (error) {
      throw spoolError(this.dir, error)
    }
  }

  /**
   * The record at the read offset changed on disk after open: finds the intact records in the
   * rest of the segment, marks the damaged ranges to be jumped over, and reports what was lost
   * (exactly: the counters knew what the segment held).
   */
  async #resync(segment: Segment): Promise<void> {
    const from = this.#readOffset
    // Taken before the read: an append finishing meanwhile adds records this scan does not see.
    const { size, records, events } = segment
    const rest = Buffer.alloc(size - from)
    const { bytesRead } = await this.#reader!.read(rest, 0, rest.length, from)
    const scan = scanSegment(rest.subarray(0, bytesRead), 0, segment.version)
    const gaps = scan.gaps.map((gap) => ({ from: from + gap.from, to: from + gap.to }))
    if (bytesRead < rest.length) {
      const last = gaps[gaps.length - 1]
      if (last?.to === from + bytesRead) last.to = size
      else gaps.push({ from: from + bytesRead, to: size })
    }
    const known = segment.skips ?? new Map<number, number>()
    let skippedBefore = 0
    for (const [start, end] of known) if (start >= from) skippedBefore += end - start
    const fresh = gaps.filter((gap) => known.get(gap.from) !== gap.to)
    const lostRecords = records - scan.records
    const lostEvents = events - scan.events
    this.#pendingBytes -= size - from - skippedBefore - scan.bytes
    this.#pendingRecords -= lostRecords
    this.#pendingEvents -= lostEvents
    segment.records -= lostRecords
    segment.events -= lostEvents
    segment.skips = new Map([...[...known].filter(([start]) => start < from), ...gaps.map((gap): [number, number] => [gap.from, gap.to])])
    if (fresh.length === 0) return
    const kept = await keepAside(join(this.dir, segmentName(segment.n)))
    const ranges = fresh.map((gap) => `${gap.from}-${gap.to}`).join(', ')
    const bytes = fresh.reduce((sum, gap) => sum + gap.to - gap.from, 0)
    const warning = ERR_CLIENT_SPOOL.create(this.dir, `segment ${segmentName(segment.n)} changed on disk after the spool opened: ` +
      `bytes ${ranges} (${bytes} bytes holding ${count(lostRecords, 'record')} of ${count(lostEvents, 'event')}) were skipped, ` +
      `the intact records around them kept; the segment as found is in ${kept}`)
    this.warnings.push(warning)
    this.#onWarning?.(warning)
  }

  /** Marks the batch returned by the last `peek()` as delivered. */
  async ack(): Promise<void> {
    const peeked = this.#peeked
    if (!peeked) return
    this.#peeked = undefined
    this.#pendingBytes -= peeked.end - this.#readOffset
    this.#pendingEvents -= peeked.events
    this.#pendingRecords--
    const segment = this.#segments[0]!
    // A damaged range after it is already off the counters; the cursor goes past it.
    this.#readOffset = skipDamaged(segment, peeked.end)
    segment.records--
    segment.events -= peeked.events
    try {
      if (this.#readOffset >= segment.size && this.#segments.length > 1) {
        await this.#dropSegment()
      } else {
        await this.#writeCursor(segment.n, this.#readOffset)
      }
    } catch (error) {
      throw spoolError(this.dir, error)
    }
  }

  async #dropSegment(): Promise<void> {
    const done = this.#segments.shift()!
    if (this.#readerSegment === done.n) {
      await this.#reader?.close()
      this.#reader = undefined
      this.#readerSegment = -1
    }
    this.#readOffset = 0
    await this.#writeCursor(this.#segments[0]!.n, 0)
    await unlink(join(this.dir, segmentName(done.n)))
  }

  /** Replaced by rename, not fsync'd: losing it only means resends (see the file's head). */
  async #writeCursor(segment: number, offset: number): Promise<void> {
    const tmp = join(this.dir, 'cursor.tmp')
    await writeFile(tmp, `${segment} ${offset}\n`)
    await rename(tmp, join(this.dir, 'cursor'))
  }

  /** Closes the files and releases the lock; the records stay for the next owner. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#reader?.close().catch(() => undefined)
    await this.#writer?.close().catch(() => undefined)
    await unlock(this.dir, this.#lockKey)
  }
}


/**
 * For a process that exits before its spool has finished opening (a script that calls
 * process.exit() right after send()): appends `batches` synchronously to a new segment after
 * the newest, which the next owner replays last. Returns false, writing nothing, when another
 * live process owns the spool. Throws TT_ERR_CLIENT_SPOOL when the disk refuses.
 */
export function appendBeforeOpenSync(dir: string, batches: ReadonlyArray<{ body: Buffer; events: number }>): boolean {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const owner = lockOwner(dir)
    if (owner !== undefined && owner !== process.pid) return false
    const numbers = segmentNumbers(readdirSync(dir))
    const fd = openSync(join(dir, segmentName(numbers.length === 0 ? 0 : numbers[numbers.length - 1]! + 1)), 'a', 0o600)
    try {
      writeWhole(fd, Buffer.concat(batches.map((b) => frame(b.body, b.events))))
      fdatasyncSync(fd)
    } finally {
      closeSync(fd)
    }
    return true
  } catch (error) {
    throw spoolError(dir, error)
  }
}
