/**
 * The FileSink's file: whole lines appended (O_APPEND) through async writes, rotated by size,
 * never a line split across files and never an older file overwritten. One writer per file:
 * sizes are tracked here, so two processes appending to one path would rotate at odd points.
 *
 * `append` works through one batch of lines at a time. For the 'exit' listener, which cannot
 * await, `takeUnwritten` hands over the lines of that batch not yet known to be in the file
 * (the async write stops there) and `appendSync` writes them. A write the thread pool is
 * carrying out at that moment is given a moment to land; one that lands later still leaves
 * those lines twice in the file, with the same ids, which `tradetrail import` stores once.
 * Losing them would be worse.
 */
import { closeSync, fdatasyncSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { type FileHandle, link, lstat, mkdir, open, rename, unlink } from 'node:fs/promises'
import { dirname, extname } from 'node:path'

/** How an AuditFile writes; the FileSink passes its checked settings. */
export interface AuditFileOptions {
  /** Absolute path of the live file. */
  path: string
  /** Rotate before the file would grow past this; a single larger line gets a file of its own. */
  maxFileBytes: number
  /** fdatasync each write (and the directory after creating or rotating a file). */
  fsync: boolean
  /** A line written each time the file is opened (seed 003's "Audit log file initialized"). */
  firstLine?: () => string
}

/** What one `append` achieved. */
export interface AppendOutcome {
  /** Lines this call put in the file: the first `written` of those it was given. */
  written: number
  /** Why the others did not get there, unless `takenOver`. */
  error?: unknown
  /** `takeUnwritten` took the rest of the batch; it is not this call's to report. */
  takenOver: boolean
}

/** The batch `append` is working through. */
interface Batch {
  readonly lines: readonly string[]
  /** Lines known to be in the file. */
  done: number
  /** The write under way: `bytes` of lines up to `end`, into a file that was `sizeBefore` bytes long. */
  chunk: { end: number; bytes: number; sizeBefore: number } | undefined
  taken: boolean
}

const NEWLINE = Buffer.from('\n')
/** How long the 'exit' listener waits for a write under way in the thread pool. */
const LANDING_WAIT_MS = 100
const FILE_MODE = 0o640
const DIR_MODE = 0o750

/** `audit.jsonl` rotated at `now` → `audit-20251217T210003Z.jsonl`, then `_001`, `_002`… for n = 1, 2… */
export function rotatedName(path: string, now: Date, n: number): string {
  const ext = extname(path)
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, '') + 'Z'
  // `_001` sorts after the bare name (`_` > `.`), so `ls` and shell globs list rotations in time order.
  return `${path.slice(0, path.length - ext.length)}-${stamp}${n > 0 ? `_${String(n).padStart(3, '0')}` : ''}${ext}`
}

async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  for (let offset = 0; offset < data.length;) {
    const { bytesWritten } = await handle.write(data, offset)
    if (bytesWritten <= 0) throw Object.assign(new Error('the file system took no bytes'), { code: 'EIO' })
    offset += bytesWritten
  }
}

function writeAllSync(fd: number, data: Buffer): void {
  for (let offset = 0; offset < data.length;) {
    const written = writeSync(fd, data, offset)
    if (written <= 0) throw Object.assign(new Error('the file system took no bytes'), { code: 'EIO' })
    offset += written
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/** Moves `path` to `target` unless `target` exists; false when it does. */
async function moveIfFree(path: string, target: string): Promise<boolean> {
  try {
    // link() fails on an existing target where rename() would silently replace it.
    await link(path, target)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    // No hard links on this file system (some FUSE and network ones): check, then rename.
    if (await exists(target)) return false
    await rename(path, target)
    return true
  }
  await unlink(path)
  return true
}

/** Makes a new or renamed directory entry survive power loss, as fdatasync does for data. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * Whether a write of `bytes` into a file of `sizeBefore` bytes has landed (or is landing),
 * polled synchronously for up to LANDING_WAIT_MS: the thread pool usually finishes it within
 * a millisecond, and seeing it land spares the file a duplicate.
 */
function landed(fd: number, sizeBefore: number, bytes: number): boolean {
  const sleeper = new Int32Array(new SharedArrayBuffer(4))
  let size = sizeBefore
  try {
    for (let waited = 0; waited <= LANDING_WAIT_MS; waited++) {
      size = fstatSync(fd).size
      if (size >= sizeBefore + bytes) return true
      Atomics.wait(sleeper, 0, 0, 1)
    }
  } catch {
    // Unknown: writing the chunk again risks a duplicate, not a loss.
  }
  // Begun but not finished: the thread is inside the write, and writing it again would tear a line.
  return size > sizeBefore
}

/** One live JSONL file and its rotated predecessors; see the module comment. */
export class AuditFile {
  readonly path: string
  readonly #dir: string
  readonly #options: AuditFileOptions
  #handle: FileHandle | undefined
  #size = 0
  #batch: Batch | undefined

  constructor(options: AuditFileOptions) {
    this.path = options.path
    this.#dir = dirname(options.path)
    this.#options = options
  }

  /** Creates the directory and opens the file if it is not open; rejects with the fs error when it cannot. */
  async open(): Promise<FileHandle> {
    if (this.#handle) return this.#handle
    await mkdir(this.#dir, { recursive: true, mode: DIR_MODE })
    // a+ rather than a: the last byte is read back below.
    const handle = await open(this.path, 'a+', FILE_MODE)
    let size: number
    try {
      size = (await handle.stat()).size
      if (size > 0) {
        const last = Buffer.alloc(1)
        await handle.read(last, 0, 1, size - 1)
        // A line cut short by a crash keeps a line of its own instead of swallowing our first one.
        if (last[0] !== NEWLINE[0]) size += (await handle.write(NEWLINE)).bytesWritten
      } else if (this.#options.fsync) {
        await syncDir(this.#dir)
      }
      const { firstLine } = this.#options
      if (firstLine !== undefined) {
        const data = Buffer.from(firstLine() + '\n')
        await writeAll(handle, data)
        size += data.length
      }
    } catch (error) {
      await handle.close().catch(() => undefined)
      throw error
    }
    this.#handle = handle
    this.#size = size
    return handle
  }

  /** Appends `lines` (each without its newline), rotating as needed; never rejects. */
  async append(lines: readonly string[]): Promise<AppendOutcome> {
    const batch: Batch = { lines, done: 0, chunk: undefined, taken: false }
    this.#batch = batch
    try {
      let from = 0
      while (from < lines.length) {
        // Opened first, so that the room left is measured on the file as it is now.
        const handle = await this.open()
        if (batch.taken) break
        const room = this.#options.maxFileBytes - this.#size
        let to = from
        let bytes = 0
        for (; to < lines.length; to++) {
          const lineBytes = Buffer.byteLength(lines[to]!) + 1
          if (bytes + lineBytes > room && (to > from || this.#size > 0)) break
          bytes += lineBytes
        }
        if (to === from) await this.#rotate()
        else await this.#write(batch, handle, from, to)
        from = to
      }
      return { written: batch.done, takenOver: batch.taken }
    } catch (error) {
      this.#drop()
      return { written: batch.done, error, takenOver: batch.taken }
    } finally {
      this.#batch = undefined
    }
  }

  async #write(batch: Batch, opened: FileHandle, from: number, to: number): Promise<void> {
    const data = Buffer.from(batch.lines.slice(from, to).join('\n') + '\n')
    for (let attempt = 0; ; attempt++) {
      const handle = attempt === 0 ? opened : await this.open()
      if (batch.taken) return
      batch.chunk = { end: to, bytes: data.length, sizeBefore: this.#size }
      await writeAll(handle, data)
      if (this.#options.fsync) await handle.datasync()
      const { nlink, size } = await handle.stat()
      if (nlink > 0) {
        this.#size = size
        break
      }
      // Deleted while open (the file, or its whole directory): the lines went down with it, so
      // they are written again into a new file. Once: a second loss in a row is an error.
      this.#drop()
      if (attempt > 0) throw Object.assign(new Error('the file was deleted while it was being written'), { code: 'ENOENT' })
    }
    batch.chunk = undefined
    if (!batch.taken) batch.done = to
  }

  async #rotate(): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close()
    const now = new Date()
    let n = 0
    while (!(await moveIfFree(this.path, rotatedName(this.path, now, n)))) n++
    if (this.#options.fsync) await syncDir(this.#dir)
    this.#size = 0
  }

  /** Forgets the handle so the next append opens the path afresh (the disk may be fixed by then). */
  #drop(): void {
    const handle = this.#handle
    this.#handle = undefined
    void handle?.close().catch(() => undefined)
  }

  /**
   * The lines of the batch `append` is working on that are not known to be in the file; the
   * batch is taken over, so `append` writes no more of it. For the 'exit' listener.
   */
  takeUnwritten(): string[] {
    const batch = this.#batch
    if (batch === undefined || batch.taken) return []
    batch.taken = true
    const { chunk } = batch
    if (chunk && this.#handle && landed(this.#handle.fd, chunk.sizeBefore, chunk.bytes)) batch.done = chunk.end
    return batch.lines.slice(batch.done)
  }

  /** Appends `lines` synchronously, without rotating; throws the fs error. For the 'exit' listener. */
  appendSync(lines: readonly string[]): void {
    if (lines.length === 0) return
    const data = Buffer.from(lines.join('\n') + '\n')
    const open = this.#handle?.fd
    let fd = open
    if (fd === undefined) {
      mkdirSync(this.#dir, { recursive: true, mode: DIR_MODE })
      fd = openSync(this.path, 'a', FILE_MODE)
    }
    try {
      writeAllSync(fd, data)
      if (this.#options.fsync) fdatasyncSync(fd)
      this.#size += data.length
    } finally {
      if (open === undefined) closeSync(fd)
    }
  }

  /** Closes the file; a later append opens it again. */
  async close(): Promise<void> {
    const handle = this.#handle
    this.#handle = undefined
    await handle?.close()
  }
}
