/**
 * SQLite's failures in the registry's words. Everything that leaves this adapter is a
 * TradetrailError or a bug: nothing above stores/ knows SQLite's result codes.
 */
import { ERR_STORE_BUSY, ERR_STORE_FULL, ERR_STORE_IO, TradetrailError, storeFileError } from '@tradetrail/core'

/** The registry error for an SQLite (or file system) failure, or the error itself when it is none of those. */
export function storeError(error: unknown): unknown {
  if (error instanceof TradetrailError) return error
  const code = (error as { code?: unknown })?.code
  if (typeof code !== 'string') return error
  if (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED') return ERR_STORE_BUSY.create()
  if (code === 'SQLITE_FULL') return ERR_STORE_FULL.create()
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || code === 'SQLITE_PERM') {
    return ERR_STORE_IO.create(code.replace(/^SQLITE_/, '').toLowerCase())
  }
  return storeFileError(error) ?? error
}

/** Runs `fn`, translating what it throws (see storeError). */
export function translated<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    throw storeError(error)
  }
}
