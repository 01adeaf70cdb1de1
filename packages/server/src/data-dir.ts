/**
 * Checks of the data directory at open (seed 003's lesson): a directory we cannot
 * write is an error naming the path; one whose contents vanish on restart (tmpfs, or
 * /tmp inside a container) is a loud warning, or a refusal with `strict`.
 */
import { accessSync, constants, existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs'
import { resolve, sep } from 'node:path'
import { ERR_STORE_DATA_DIR, ERR_STORE_UNSAFE_DATA_DIR } from '@tradetrail/core'

export interface DataDirCheck {
  /** Absolute, resolved path. */
  path: string
  /** Reasons the data may be lost on restart; empty when none. */
  warnings: string[]
}

export interface DataDirOptions {
  /** Refuse an unsafe directory instead of warning. */
  strict?: boolean
  /** Environment to read container hints from (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Mount table text (default /proc/mounts), for tests. */
  mounts?: string
  /** Whether we run in a container (default: /.dockerenv exists or KUBERNETES_SERVICE_HOST is set). */
  inContainer?: boolean
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
  const warnings: string[] = []
  const fsType = filesystemOf(path, options.mounts ?? readMounts())
  if (fsType === 'tmpfs' || fsType === 'ramfs') warnings.push(`is on ${fsType}`)
  const env = options.env ?? process.env
  const inContainer = options.inContainer ?? (existsSync('/.dockerenv') || env.KUBERNETES_SERVICE_HOST !== undefined)
  if (inContainer && (path === '/tmp' || path.startsWith('/tmp' + sep))) warnings.push('is under /tmp inside a container')
  if (warnings.length > 0 && options.strict) throw ERR_STORE_UNSAFE_DATA_DIR.create(path, warnings.join(' and '))
  return { path, warnings: warnings.map((w) => ERR_STORE_UNSAFE_DATA_DIR.create(path, w).message) }
}

function readMounts(): string {
  try {
    return readFileSync('/proc/mounts', 'utf8')
  } catch {
    return ''
  }
}

/** File system type of the mount holding `path` (longest mount point that is a prefix). */
export function filesystemOf(path: string, mounts: string): string | undefined {
  let best: { point: string; type: string } | undefined
  for (const line of mounts.split('\n')) {
    const [, rawPoint, type] = line.split(' ')
    if (rawPoint === undefined || type === undefined) continue
    const point = rawPoint.replace(/\\040/g, ' ')
    const inside = point === '/' || path === point || path.startsWith(point + sep)
    if (inside && (best === undefined || point.length >= best.point.length)) best = { point, type }
  }
  return best?.type
}
