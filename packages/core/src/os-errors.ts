/**
 * The operating system's conditions in the registry's words, in one place for the CLI and the
 * collector. A failed system call carries Node's `code` (ENOENT, EACCES, …) and usually the
 * `path` it was about. A file the user named gets a TT_ERR_FILE_* code naming the path; the
 * trail's own files (the store, its key, the data directory) get TT_ERR_STORE_FULL or
 * TT_ERR_STORE_IO, which tell a producer that nothing was stored and to retry.
 */
import {
  ERR_FILE_ACCESS, ERR_FILE_DISK_FULL, ERR_FILE_IS_DIRECTORY, ERR_FILE_NOT_FOUND, ERR_FILE_PERMISSION, ERR_FILE_READ_ONLY, ERR_STORE_FULL, ERR_STORE_IO,
  type FileAccess, TradetrailError,
} from './errors.ts'

/** The conditions with a code of their own. */
export const OS_CONDITIONS = ['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EIO'] as const
export type OsCondition = (typeof OS_CONDITIONS)[number]

interface SystemError {
  code: string
  message: string
  path?: string
  syscall?: string
}

/** The error as a failed system call (Node's SystemError shape), or undefined when it is not one. */
function systemError(error: unknown): SystemError | undefined {
  if (error instanceof TradetrailError || typeof error !== 'object' || error === null) return undefined
  const e = error as Partial<SystemError>
  if (typeof e.code !== 'string' || !/^E[A-Z0-9]+$/.test(e.code)) return undefined
  return typeof e.syscall === 'string' || (OS_CONDITIONS as readonly string[]).includes(e.code) ? e as SystemError : undefined
}

/**
 * A failed system call on a file the user named (`import FILE`, `--out`, …) as TT_ERR_FILE_*
 * naming `path` (default: the path the error names); undefined when `error` is no system error.
 */
export function fileError(error: unknown, access: FileAccess, path?: string): TradetrailError | undefined {
  const e = systemError(error)
  if (e === undefined) return undefined
  const where = path ?? e.path ?? '(a file)'
  switch (e.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return ERR_FILE_NOT_FOUND.create(where, e.code, access)
    case 'EISDIR':
      return ERR_FILE_IS_DIRECTORY.create(where)
    case 'EACCES':
    case 'EPERM':
      return ERR_FILE_PERMISSION.create(where, e.code, access)
    case 'EROFS':
      return ERR_FILE_READ_ONLY.create(where)
    case 'ENOSPC':
    case 'EDQUOT':
      return ERR_FILE_DISK_FULL.create(where, e.code)
    default:
      return ERR_FILE_ACCESS.create(where, e.message)
  }
}

/** A failed system call on the trail's own files as TT_ERR_STORE_FULL or TT_ERR_STORE_IO (503, retry); undefined for anything else. */
export function storeFileError(error: unknown): TradetrailError | undefined {
  const code = systemError(error)?.code
  if (code === 'ENOSPC' || code === 'EDQUOT') return ERR_STORE_FULL.create()
  return code !== undefined && (OS_CONDITIONS as readonly string[]).includes(code) ? ERR_STORE_IO.create(code) : undefined
}
