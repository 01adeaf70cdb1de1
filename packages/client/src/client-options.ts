/**
 * The options of AuditClient, checked once when it is built and then frozen. A bad value
 * never throws (a bot must start even when its audit configuration is wrong): it is
 * replaced by its default or disables what it configures, and reported through onError.
 */
import { join, resolve } from 'node:path'
import { ERR_CLIENT_OPTIONS, PROJECT_PATTERN, type TradetrailError } from '@tradetrail/core'
import type { ErrorHandler } from './error-reporter.ts'
import { type EventDefaultOptions, checkEventDefaults } from './event-defaults.ts'

/** The project a client records for (seed 002's project_name, _market, _description, _privileges). */
export interface ProjectInfo {
  name: string
  market?: string
  description?: string
  /** Rights it declares, e.g. `execute_trade` (see ProjectPrivileges); recorded in its boot event. */
  privileges?: readonly string[] | string
}

/**
 * `memory` (default): events wait in memory until the collector acknowledges them, and go to
 * the spool only when it does not (outage, slowness, exit). `wal`: every batch is written to
 * the spool (fdatasync'd) before it is sent.
 */
export type Durability = 'memory' | 'wal'

export interface AuditClientOptions {
  /** Collector URL; default env TRADETRAIL_URL, else http://127.0.0.1:9324. */
  url?: string
  /** Ingest token; default env TRADETRAIL_TOKEN. */
  token?: string
  /** The project, or just its name. */
  project: ProjectInfo | string
  /** Default `source` of every event. */
  source?: string
  /** Default `actor` of every event. */
  actor?: string
  /** Metadata merged under every event's own. */
  metadata?: Record<string, unknown>
  durability?: Durability
  /**
   * Directory of the disk queue; default env TRADETRAIL_SPOOL_DIR, else
   * `.tradetrail-spool/<project>` in the working directory. `false`: no spool at all.
   */
  spoolDir?: string | false
  /** Largest spool, in bytes (default 256 MiB). */
  maxSpoolBytes?: number
  /** Most events held in memory before the newest are dropped (default 100,000). */
  maxQueuedEvents?: number
  /** Most events per batch (default 1,000; the collector takes up to 10,000). */
  batchMaxEvents?: number
  /** Most bytes per batch (default 1 MiB; the collector takes up to 8 MiB). */
  batchMaxBytes?: number
  /** A batch leaves at the latest this long after its first event was sent, in ms (default 25). */
  flushIntervalMs?: number
  /** A request without an answer after this long is retried, in ms (default 10,000). */
  requestTimeoutMs?: number
  /** First retry wait cap, in ms (default 100); it doubles with each failure. */
  retryInitialMs?: number
  /** Longest retry wait, in ms (default 30,000). */
  retryMaxMs?: number
  /** Time given to delivery on exit and on SIGTERM/SIGINT before the rest is spooled, in ms (default 2,000). */
  exitFlushTimeoutMs?: number
  /** Flush on beforeExit/SIGTERM/SIGINT and spool on exit (default true). */
  handleExit?: boolean
  /** Report TT_ERR_CLIENT_CLOCK_SKEW when the clock is further than this from the collector's, in ms (default 50). */
  clockSkewLimitMs?: number
  /** Record a `boot` event on start (default true). */
  boot?: boolean
  onError?: ErrorHandler
  /** Where TRADETRAIL_* come from (default process.env). */
  env?: Record<string, string | undefined>
}

export interface ClientSettings {
  readonly url: URL | undefined
  readonly token: string
  readonly project: Readonly<ProjectInfo> & { readonly privileges: readonly string[] }
  readonly durability: Durability
  readonly spoolDir: string | undefined
  readonly maxSpoolBytes: number
  readonly maxQueuedEvents: number
  readonly batchMaxEvents: number
  readonly batchMaxBytes: number
  readonly flushIntervalMs: number
  readonly requestTimeoutMs: number
  readonly retryInitialMs: number
  readonly retryMaxMs: number
  readonly exitFlushTimeoutMs: number
  readonly handleExit: boolean
  readonly clockSkewLimitMs: number
  readonly boot: boolean
  /** The checked `source`, `actor` and a snapshot of `metadata`. */
  readonly defaults: Readonly<EventDefaultOptions>
}

export const DEFAULT_URL = 'http://127.0.0.1:9324'
const PROJECT_RE = new RegExp(PROJECT_PATTERN)

export interface CheckedClientOptions {
  settings: ClientSettings
  problems: TradetrailError[]
  onError: ErrorHandler | undefined
  env: Record<string, string | undefined>
}

/** Checks `options`; every problem found is in `problems`, and `settings` is always usable. */
export function resolveClientOptions(options: AuditClientOptions): CheckedClientOptions {
  try {
    return check(typeof options === 'object' && options !== null ? options : { project: '' })
  } catch (error) {
    // Only a hostile options object (a Proxy or getter that throws) gets here.
    const fallback = check({ project: '' })
    return { ...fallback, problems: [ERR_CLIENT_OPTIONS.create('options', `could not be read (${String(error)})`), ...fallback.problems] }
  }
}

function check(options: AuditClientOptions): CheckedClientOptions {
  const problems: TradetrailError[] = []
  const env = options.env ?? process.env
  const bad = (option: string, reason: string): void => { problems.push(ERR_CLIENT_OPTIONS.create(option, reason)) }

  const number = (name: keyof AuditClientOptions, fallback: number, min: number, max: number): number => {
    const value = options[name]
    if (value === undefined) return fallback
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      bad(name, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}; using ${fallback}`)
      return fallback
    }
    return value
  }

  const rawProject = typeof options.project === 'string' ? { name: options.project } : options.project
  let name = typeof rawProject?.name === 'string' ? rawProject.name : ''
  if (!PROJECT_RE.test(name)) {
    bad('project.name', `must match ${PROJECT_PATTERN}, got ${JSON.stringify(name)}; the collector will refuse these events`)
    if (name === '') name = 'unnamed'
  }
  const raw = rawProject?.privileges
  const privileges = raw === undefined ? [] : typeof raw === 'string' ? [raw] : Array.isArray(raw) && raw.every((p) => typeof p === 'string') ? [...raw] : undefined
  if (privileges === undefined) bad('project.privileges', `must be a string or an array of strings, got ${JSON.stringify(raw)}; none are declared`)
  const about = (key: 'market' | 'description'): string | undefined => {
    const value = rawProject?.[key]
    if (value === undefined || typeof value === 'string') return value
    bad(`project.${key}`, `must be a string, got ${JSON.stringify(value)}; left out`)
    return undefined
  }
  const project = Object.freeze({ name, market: about('market'), description: about('description'), privileges: Object.freeze(privileges ?? []) })

  let url: URL | undefined
  const rawUrl = options.url ?? env.TRADETRAIL_URL ?? DEFAULT_URL
  try {
    url = new URL(rawUrl)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)')
  } catch {
    bad('url', `must be an http:// or https:// URL, got ${JSON.stringify(rawUrl)}; nothing can be sent`)
    url = undefined
  }
  let token = options.token ?? env.TRADETRAIL_TOKEN ?? ''
  if (typeof token !== 'string') token = ''
  if (token === '') bad('token', 'is missing (option token or TRADETRAIL_TOKEN); the collector will refuse every batch')

  let durability: Durability = options.durability ?? (env.TRADETRAIL_DURABILITY as Durability | undefined) ?? 'memory'
  if (durability !== 'memory' && durability !== 'wal') {
    bad('durability', `must be "memory" or "wal", got ${JSON.stringify(durability)}; using "memory"`)
    durability = 'memory'
  }
  const spoolDir = options.spoolDir === false ? undefined
    : resolve(typeof options.spoolDir === 'string' ? options.spoolDir : env.TRADETRAIL_SPOOL_DIR ?? join('.tradetrail-spool', name))
  if (durability === 'wal' && spoolDir === undefined) bad('durability', '"wal" needs a spool; spoolDir is false, so events wait in memory')

  const settings: ClientSettings = Object.freeze({
    url,
    token,
    project,
    durability,
    spoolDir,
    maxSpoolBytes: number('maxSpoolBytes', 256 * 1024 * 1024, 64 * 1024, Number.MAX_SAFE_INTEGER),
    maxQueuedEvents: number('maxQueuedEvents', 100_000, 1, 100_000_000),
    batchMaxEvents: number('batchMaxEvents', 1000, 1, 10_000),
    batchMaxBytes: number('batchMaxBytes', 1024 * 1024, 1024, 8 * 1024 * 1024),
    flushIntervalMs: number('flushIntervalMs', 25, 1, 60_000),
    requestTimeoutMs: number('requestTimeoutMs', 10_000, 100, 600_000),
    retryInitialMs: number('retryInitialMs', 100, 1, 600_000),
    retryMaxMs: number('retryMaxMs', 30_000, 1, 3_600_000),
    exitFlushTimeoutMs: number('exitFlushTimeoutMs', 2000, 0, 600_000),
    handleExit: options.handleExit ?? true,
    clockSkewLimitMs: number('clockSkewLimitMs', 50, 0, 3_600_000),
    boot: options.boot ?? true,
    defaults: Object.freeze(checkEventDefaults(options, bad)),
  })
  const onError = typeof options.onError === 'function' ? options.onError : undefined
  if (options.onError !== undefined && onError === undefined) bad('onError', 'must be a function; problems go to stderr')
  return { settings, problems, onError, env }
}
