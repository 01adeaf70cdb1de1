/**
 * Checks of the data directory at open (seed 003's lesson): a directory we cannot
 * write is an error naming the path; one whose contents vanish on restart (tmpfs, or
 * /tmp inside a container) is a loud warning, or a refusal with `strict`.
 */
import { accessSync, constants, mkdirSync, realpathSync } from 'node:fs'
import { resolve } from 'node:path'
import { ERR_STORE_DATA_DIR, ERR_STORE_UNSAFE_DATA_DIR, type StorageRiskOptions, storageRisks } from '@tradetrail/core'

export interface DataDirCheck {
  /** Absolute, resolved path. */
  path: string
  /** Reasons the data may be lost on restart; empty when none. */
  warnings: string[]
}

/** `env`, `mounts` and `inContainer` (for tests) go to core's storageRisks. */
export interface DataDirOptions extends StorageRiskOptions {
  /** Refuse an unsafe directory instead of warning. */
  strict?: boolean
}

/** Creates the directory if needed and checks it; throws TT_ERR_STORE_DATA_DIR when unusable. */
export function prepareDataDir(dir: string, options: DataDirOptions = {}): DataDirCheck {
  const wanted = resolve(dir)
  try {
    mkdirSync(wanted, { recursive: true, mode: 0o750 })
    accessSync(wanted, constants.W_OK | constants.R_OK | constants.X_OK)
  } catch (error) {
    const e = error as NodeJS.ErrnoException
    const reason = e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS'
      ? 'it is not writable by this user; fix its permissions or choose another with --data-dir / TRADETRAIL_DATA_DIR'
      : e.code === 'ENOTDIR' || e.code === 'EEXIST' ? 'it is not a directory' : e.message
    throw ERR_STORE_DATA_DIR.create(wanted, reason)
  }
  const path = realpathSync(wanted)
  const warnings = storageRisks(path, options)
  if (warnings.length > 0 && options.strict) throw ERR_STORE_UNSAFE_DATA_DIR.create(path, warnings.join(' and '))
  return { path, warnings: warnings.map((w) => ERR_STORE_UNSAFE_DATA_DIR.create(path, w).message) }
}
