/**
 * Will this directory's contents vanish on restart? Seed 003's lesson, shared by the
 * collector's data directory and the client's audit file: tmpfs and ramfs live in memory,
 * and /tmp inside a container is thrown away with the container.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs'
import { sep } from 'node:path'

export interface StorageRiskOptions {
  /** Environment to read container hints from (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Mount table text (default /proc/mounts), for tests. */
  mounts?: string
  /** Whether we run in a container (default: /.dockerenv exists or KUBERNETES_SERVICE_HOST is set). */
  inContainer?: boolean
}

/**
 * Why files under `path` (absolute, symlinks resolved) may be lost on restart, each a phrase
 * that follows the path in a sentence (`is on tmpfs`); empty when there is no reason.
 */
export function storageRisks(path: string, options: StorageRiskOptions = {}): string[] {
  const risks: string[] = []
  const fsType = filesystemOf(path, options.mounts ?? readMounts())
  if (fsType === 'tmpfs' || fsType === 'ramfs') risks.push(`is on ${fsType}`)
  const env = options.env ?? process.env
  const inContainer = options.inContainer ?? (existsSync('/.dockerenv') || env.KUBERNETES_SERVICE_HOST !== undefined)
  if (inContainer && (path === '/tmp' || path.startsWith('/tmp' + sep))) risks.push('is under /tmp inside a container')
  return risks
}

/** `storageRisks` of `dir` as the disk has it (symlinks resolved); none when it cannot be resolved. */
export function storageRisksOf(dir: string, options: StorageRiskOptions = {}): string[] {
  try {
    return storageRisks(realpathSync(dir), options)
  } catch {
    return []
  }
}

function readMounts(): string {
  try {
    return readFileSync('/proc/mounts', 'utf8')
  } catch {
    // Not Linux, or /proc is hidden: no mount table, so no tmpfs verdict either way.
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
