/**
 * A witness directory, meant for another volume or a WORM mount: one file per checkpoint or
 * anchor, under a folder named after the signing key's id, created with O_EXCL, fsync'd, never
 * opened again for writing, never renamed or deleted. A file another delivery (a CLI command
 * beside the collector, a retry after a crash) already wrote is read back: the same record is
 * done, a different one is TT_ERR_WITNESS_CONFLICT and stays as it is.
 */
import { constants } from 'node:fs'
import { type FileHandle, access, mkdir, open, readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { ERR_WITNESS_CONFLICT, ERR_WITNESS_DELIVERY, ERR_WITNESS_DIR } from '@tradetrail/core'
import type { WitnessTarget } from './witness-delivery.ts'
import { type WitnessRecord, parseWitnessRecord, sameRecord, witnessFileName } from './witness-record.ts'

export class DirectoryWitness implements WitnessTarget {
  readonly kind = 'directory'
  readonly where: string

  private constructor(where: string) {
    this.where = where
  }

  /** Creates `<root>/<keyId>/` if needed; refuses (TT_ERR_WITNESS_DIR) a directory this process cannot create files in. */
  static async open(root: string, keyId: string): Promise<DirectoryWitness> {
    const where = join(resolve(root), keyId)
    try {
      await mkdir(where, { recursive: true })
      await access(where, constants.W_OK)
    } catch (error) {
      throw ERR_WITNESS_DIR.create(where, (error as NodeJS.ErrnoException).code ?? (error as Error).message)
    }
    return new DirectoryWitness(where)
  }

  async deliver(record: WitnessRecord): Promise<void> {
    const path = join(this.where, witnessFileName(record))
    const text = Buffer.from(JSON.stringify(record) + '\n')
    try {
      const file = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error
        return undefined
      })
      if (file === undefined) return await this.#alreadyThere(path, text, record)
      await writeFrom(file, text, 0)
      await syncDirectory(this.where)
    } catch (error) {
      if (ERR_WITNESS_CONFLICT.is(error)) throw error
      throw ERR_WITNESS_DELIVERY.create(this.where, record.kind, record.seq, (error as NodeJS.ErrnoException).code ?? (error as Error).message)
    }
  }

  close(): void {}

  /**
   * The file exists. The same record: delivered before. A prefix of it: a delivery cut short
   * (a crash between create and fsync) or one in progress in another process; every writer of
   * a record writes the very same bytes at the same offsets, so completing it is safe.
   */
  async #alreadyThere(path: string, text: Buffer, record: WitnessRecord): Promise<void> {
    const held = await readFile(path)
    if (held.equals(text)) return
    if (held.length < text.length && text.subarray(0, held.length).equals(held)) {
      return writeFrom(await open(path, constants.O_WRONLY), text, held.length)
    }
    let parsed: ReturnType<typeof parseWitnessRecord> = 'unreadable'
    try {
      parsed = parseWitnessRecord(JSON.parse(held.toString('utf8')))
    } catch {
      // Not JSON: a different record for this purpose.
    }
    if (typeof parsed !== 'string' && sameRecord(parsed, record)) return
    throw ERR_WITNESS_CONFLICT.create(this.where, record.kind, record.seq)
  }
}

/**
 * Writes `text` from byte `offset` on, syncs, and makes the file read-only: a record is never
 * written again (and a WORM volume that commits files as they turn read-only commits it).
 */
async function writeFrom(file: FileHandle, text: Buffer, offset: number): Promise<void> {
  try {
    await file.write(text, offset, text.length - offset, offset)
    await file.sync()
    await file.chmod(0o444)
  } finally {
    await file.close()
  }
}

/** A new file's name is durable once its directory is synced; file systems that cannot sync a directory are let be. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY)
  try {
    await handle.sync().catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EINVAL' && error.code !== 'ENOTSUP') throw error
    })
  } finally {
    await handle.close()
  }
}
