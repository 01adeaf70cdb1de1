/**
 * The options of FileSink, checked once when it is built and then frozen. Nothing here
 * throws: a bad tuning value is replaced by its default, and a bad project or path (where
 * guessing would put audit records somewhere nobody looks) leaves the sink writing every
 * event to stderr. Each problem is returned, to be reported through onError.
 */
import { resolve } from 'node:path'
import {
  ERR_CLIENT_OPTIONS, PROJECT_PATTERN, type StorageRiskOptions, type TradetrailError,
} from '@tradetrail/core'
import type { ErrorHandler } from './error-reporter.ts'
import { checkEventDefaults } from './event-defaults.ts'
import type { EventDefaults } from './event-record.ts'
import { DEFAULT_PATHS, FILE_FORMATS, type FileFormat } from './seed-formats.ts'

/** Options of `new FileSink(…)`; `mounts` and `inContainer` (from StorageRiskOptions) are for tests. */
export interface FileSinkOptions extends StorageRiskOptions {
  /** The system that emits the events (`MyTradingBot`): 1–64 of `A-Za-z0-9_.-`. */
  project: string
  /**
   * The file; default env TRADETRAIL_LOG_PATH, else RISK_AUDIT_LOG_PATH (seed 003's name),
   * else the format's default: `logs/tradetrail-audit.jsonl`, `logs/tradetrail-audit.log`
   * (`text`), `logs/risk_audit.jsonl` (`seed003`, as seed 003). Relative paths start at the
   * working directory.
   */
  path?: string
  /**
   * The lines written (seed-formats.ts, docs/client.md): `jsonl` (default; wire format v1),
   * `text` (seed 000's `[2025-12-17T21:00:03Z] message`) or `seed003` (seed 003's records);
   * default env TRADETRAIL_LOG_FORMAT, else `jsonl`.
   */
  format?: FileFormat
  /** Default `source` of every event. */
  source?: string
  /** Default `actor` of every event. */
  actor?: string
  /** Metadata merged under every event's own. */
  metadata?: Record<string, unknown>
  /** The file is rotated before it would grow past this many bytes (default 100 MiB). */
  maxFileBytes?: number
  /** Most events waiting in memory before the newest go to stderr instead (default 100,000). */
  maxQueuedEvents?: number
  /** fdatasync each write before flush() resolves (default false). */
  fsync?: boolean
  onError?: ErrorHandler
  /** Where TRADETRAIL_LOG_PATH, RISK_AUDIT_LOG_PATH and container hints come from (default process.env). */
  env?: Record<string, string | undefined>
}

/** The options once checked: defaults filled in, the path resolved, everything frozen. */
export interface FileSinkSettings {
  /** Absolute path of the file; undefined when project or path is unusable and events go to stderr. */
  readonly path: string | undefined
  /** Which setting named the path, for messages: `option path`, an environment variable, or `default`. */
  readonly pathFrom: string
  readonly format: FileFormat
  readonly defaults: Readonly<EventDefaults>
  readonly maxFileBytes: number
  readonly maxQueuedEvents: number
  readonly fsync: boolean
  readonly storage: Readonly<StorageRiskOptions>
}

const PROJECT_RE = new RegExp(PROJECT_PATTERN)

/** The file's path and the setting that named it: option, TRADETRAIL_LOG_PATH, RISK_AUDIT_LOG_PATH, default. */
function choosePath(path: unknown, env: Record<string, string | undefined>, format: FileFormat): { raw: unknown; from: string } {
  if (path !== undefined) return { raw: path, from: 'option path' }
  for (const name of ['TRADETRAIL_LOG_PATH', 'RISK_AUDIT_LOG_PATH']) {
    if (env[name] !== undefined && env[name] !== '') return { raw: env[name], from: name }
  }
  return { raw: DEFAULT_PATHS[format], from: 'default' }
}

/** A value as a message shows it; JSON.stringify alone throws on a BigInt. */
function shown(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/** What the sink is built from: usable settings, whatever the options were. */
export interface CheckedFileSinkOptions {
  settings: FileSinkSettings
  /** One TT_ERR_CLIENT_OPTIONS per bad option. */
  problems: TradetrailError[]
  onError: ErrorHandler | undefined
}

/** Checks `options`; every problem found is in `problems`, and `settings` is always usable. Never throws. */
export function resolveFileSinkOptions(options: FileSinkOptions): CheckedFileSinkOptions {
  try {
    return check(typeof options === 'object' && options !== null ? options : {} as FileSinkOptions)
  } catch (error) {
    // Only a hostile options object (a Proxy whose traps throw) gets here.
    const { settings } = check({} as FileSinkOptions)
    return { settings, problems: [ERR_CLIENT_OPTIONS.create('options', `could not be read (${String(error)}); every event goes to stderr`)], onError: undefined }
  }
}

function check(options: FileSinkOptions): CheckedFileSinkOptions {
  const problems: TradetrailError[] = []
  const bad = (option: string, reason: string): void => { problems.push(ERR_CLIENT_OPTIONS.create(option, reason)) }
  const toStderr = 'every event goes to stderr as an AUDIT_EMERGENCY line'

  const integer = (name: 'maxFileBytes' | 'maxQueuedEvents', fallback: number, min: number): number => {
    const value = options[name]
    if (value === undefined) return fallback
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return value
    bad(name, `must be an integer of at least ${min}, got ${shown(value)}; using ${fallback}`)
    return fallback
  }
  let env: Record<string, string | undefined> = process.env
  if (options.env !== undefined) {
    if (typeof options.env === 'object' && options.env !== null) env = options.env
    else bad('env', 'must be an object of environment variables; using process.env')
  }

  const project = typeof options.project === 'string' ? options.project : ''
  const projectOk = PROJECT_RE.test(project)
  if (!projectOk) bad('project', `must match ${PROJECT_PATTERN}, got ${shown(options.project)}; ${toStderr}`)

  let format: FileFormat = 'jsonl'
  const rawFormat = options.format ?? (env.TRADETRAIL_LOG_FORMAT || undefined)
  if (rawFormat !== undefined) {
    if ((FILE_FORMATS as readonly unknown[]).includes(rawFormat)) format = rawFormat as FileFormat
    else bad(options.format !== undefined ? 'format' : 'TRADETRAIL_LOG_FORMAT', `must be one of ${FILE_FORMATS.join(', ')}, got ${shown(rawFormat)}; using jsonl`)
  }

  const chosen = choosePath(options.path, env, format)
  let path: string | undefined
  if (typeof chosen.raw === 'string' && chosen.raw !== '' && !chosen.raw.includes('\0')) path = resolve(chosen.raw)
  else bad(chosen.from === 'option path' ? 'path' : chosen.from, `must be a file path, got ${shown(chosen.raw)}; ${toStderr}`)

  const { source, actor, metadata } = checkEventDefaults(options, bad)

  let fsync = false
  if (options.fsync !== undefined) {
    if (typeof options.fsync === 'boolean') fsync = options.fsync
    else bad('fsync', `must be true or false, got ${shown(options.fsync)}; using false`)
  }
  const onError = typeof options.onError === 'function' ? options.onError : undefined
  if (options.onError !== undefined && onError === undefined) bad('onError', 'must be a function; problems go to stderr')

  const settings: FileSinkSettings = Object.freeze({
    path: projectOk ? path : undefined,
    pathFrom: chosen.from,
    format,
    defaults: Object.freeze({ project, source, actor, metadata }),
    maxFileBytes: integer('maxFileBytes', 100 * 1024 * 1024, 1),
    maxQueuedEvents: integer('maxQueuedEvents', 100_000, 1),
    fsync,
    storage: Object.freeze({ env, mounts: options.mounts, inContainer: options.inContainer }),
  })
  return { settings, problems, onError }
}
