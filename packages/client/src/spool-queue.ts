/**
 * The client's disk queue: batches the collector has not acknowledged yet, oldest first, in
 * append-only segment files `<16 digits>.seg` inside one directory. Each record is framed
 * `[u32 length][u32 crc32][u32 events][payload]` (little-endian; the CRC covers the event count
 * and the payload), appended with O_APPEND and fdatasync'd before `append` resolves. A torn
 * record at the end of the newest segment (power loss mid-write) is cut off when the spool
 * opens. Delivery progress is a small `cursor` file (segment and offset) replaced by rename;
 * it is not fsync'd, because losing it only means some delivered batches are sent again and
 * the collector stores each event id once. One process owns a spool at a time (`lock` file
 * holding its pid; a dead owner's lock is taken over).
 */
import { closeSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readFileSync, readdirSync, realpathSync, writeFileSync, writeSync } from 'node:fs'
import { type FileHandle, mkdir, open, readdir, readFile, rename, truncate, unlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { ERR_CLIENT_SPOOL, type TradetrailError } from '@tradetrail/core'
import { ioReason } from './io-reason.ts'

const HEADER = 12
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
}

/** One batch read back from the spool. */
export interface SpoolRecord {
  body: Buffer
  events: number
}

interface Segment {
  n: number
  size: number
  /** Undelivered records and events in it. */
  records: number
  events: number
}

function segmentName(n: number): string {
  return `${String(n).padStart(16, '0')}.seg`
}

/** The 12-byte header of a record; the CRC continues from the event count into the body. */
function frameHeader(body: Buffer, events: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER)
  header.writeUInt32LE(body.length, 0)
  header.writeUInt32LE(events, 8)
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

/** Offset just past the record at `offset` in `data`, or -1 when there is no whole, intact one. */
function recordEnd(data: Buffer, offset: number): number {
  if (offset + HEADER > data.length) return -1
  const length = data.readUInt32LE(offset)
  const end = offset + HEADER + length
  if (length > MAX_RECORD || end > data.length) return -1
  return crc32(data.subarray(offset + 8, end)) === data.readUInt32LE(offset + 4) ? end : -1
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
    return this.#pendingBytes + HEADER + bytes <= this.maxBytes
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
      let offset = n === cursorSegment ? Math.min(cursorOffset, data.length) : 0
      if (n === cursorSegment) this.#readOffset = offset
      const newest = n === numbers[numbers.length - 1]
      const segment: Segment = { n, size: 0, records: 0, events: 0 }
      while (offset < data.length) {
        const end = recordEnd(data, offset)
        if (end < 0) break
        this.#pendingRecords++
        this.#pendingEvents += data.readUInt32LE(offset + 8)
        this.#pendingBytes += end - offset
        segment.records++
        segment.events += data.readUInt32LE(offset + 8)
        offset = end
      }
      if (offset < data.length) {
        // A torn last write ends the file mid-record; it was never acknowledged to anyone. A bad
        // record with data after it is corruption, and what follows it cannot be trusted either.
        const claimedEnd = offset + HEADER <= data.length ? offset + HEADER + data.readUInt32LE(offset) : Infinity
        if (!newest || claimedEnd < data.length) {
          this.warnings.push(ERR_CLIENT_SPOOL.create(this.dir,
            `segment ${segmentName(n)} is corrupt after byte ${offset}; ${data.length - offset} bytes of it were skipped`))
        }
        if (newest) await truncate(path, offset)
      }
      segment.size = offset
      this.#segments.push(segment)
    }
    if (this.#segments.length === 0 || this.#segments[0]!.n !== cursorSegment) this.#readOffset = 0
  }

  async #openWriter(): Promise<FileHandle> {
    const current = this.#segments[this.#segments.length - 1]
    if (this.#writer && current && current.size < this.#segmentBytes) return this.#writer
    await this.#writer?.close()
    this.#writer = undefined
    // Looked up again: an appendSync during the await may have started the first segment.
    let last = this.#segments[this.#segments.length - 1]
    if (!last || last.size >= this.#segmentBytes) {
      last = { n: last ? last.n + 1 : 0, size: 0, records: 0, events: 0 }
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
      if (parts.length >= MAX_IOVECS || this.#pendingBytes + bytes + HEADER + batch.body.length > this.maxBytes) break
      parts.push(frameHeader(batch.body, batch.events), batch.body)
      bytes += HEADER + batch.body.length
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
    if (!last) {
      last = { n: 0, size: 0, records: 0, events: 0 }
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
        const header = Buffer.allocUnsafe(HEADER)
        await this.#reader!.read(header, 0, HEADER, this.#readOffset)
        const length = header.readUInt32LE(0)
        const body = Buffer.allocUnsafe(Math.min(length, MAX_RECORD))
        const { bytesRead } = await this.#reader!.read(body, 0, body.length, this.#readOffset + HEADER)
        const events = header.readUInt32LE(8)
        if (length > MAX_RECORD || bytesRead !== length || crc32(body, crc32(header.subarray(8))) !== header.readUInt32LE(4)) {
          // Checked when the spool opened, so the disk changed under us: skip the rest of this segment.
          this.warnings.push(ERR_CLIENT_SPOOL.create(this.dir, `segment ${segmentName(segment.n)} changed on disk after byte ${this.#readOffset}; the rest of it was skipped`))
          // What was skipped is no longer pending, or callers would wait on records no peek returns.
          this.#pendingBytes -= segment.size - this.#readOffset
          this.#pendingEvents -= segment.events
          this.#pendingRecords -= segment.records
          segment.records = 0
          segment.events = 0
          this.#readOffset = segment.size
          continue
        }
        this.#peeked = { end: this.#readOffset + HEADER + length, events }
        return { body, events }
      }
    } catch (error) {
      throw spoolError(this.dir, error)
    }
  }

  /** Marks the batch returned by the last `peek()` as delivered. */
  async ack(): Promise<void> {
    const peeked = this.#peeked
    if (!peeked) return
    this.#peeked = undefined
    this.#pendingBytes -= peeked.end - this.#readOffset
    this.#pendingEvents -= peeked.events
    this.#pendingRecords--
    this.#readOffset = peeked.end
    const segment = this.#segments[0]!
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
