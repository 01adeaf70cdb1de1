/** Parsing of the options shared by several commands: the data directory and the API's filters. */
import { type Command, Option } from 'commander'
import { ERR_CLI_USAGE, type EventFilter, PROJECT_PATTERN, SEVERITIES, type Severity, parseTimeBound } from '@tradetrail/core'

/** Global options every command accepts. */
export interface GlobalOptions {
  dataDir: string
  json: boolean
  strict: boolean
}

export function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals() as { dataDir?: string; json?: boolean; strict?: boolean }
  return { dataDir: o.dataDir ?? process.env.TRADETRAIL_DATA_DIR ?? './data', json: o.json ?? false, strict: o.strict ?? false }
}

/** Adds --project --type --severity --source --since --until --q --after-seq, named after the HTTP API's filters. */
export function withFilterOptions(command: Command): Command {
  return command
    .option('--project <name>', 'only this project')
    .option('--type <type>', 'only this event type')
    .addOption(new Option('--severity <level>', 'this severity or worse').choices([...SEVERITIES]))
    .option('--source <source>', 'only this source')
    .option('--since <time>', 'from this time: RFC 3339 UTC, YYYY-MM-DD, or a duration ago (30m, 2h, 7d)')
    .option('--until <time>', 'before this time (same forms as --since)')
    .option('--q <text>', 'full-text search: words (all must match), "a phrase", prefix*')
    .option('--after-seq <seq>', 'only events after this seq')
}

export interface FilterFlags {
  project?: string
  type?: string
  severity?: string
  source?: string
  since?: string
  until?: string
  q?: string
  afterSeq?: string
}

export function parseFilter(flags: FilterFlags, nowMs: number = Date.now()): EventFilter {
  const filter: EventFilter = {}
  if (flags.project !== undefined) {
    if (!new RegExp(PROJECT_PATTERN).test(flags.project)) throw ERR_CLI_USAGE.create(`--project must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." and "-"`)
    filter.project = flags.project
  }
  if (flags.type !== undefined) filter.type = flags.type
  if (flags.severity !== undefined) filter.severity = flags.severity as Severity
  if (flags.source !== undefined) filter.source = flags.source
  for (const bound of ['since', 'until'] as const) {
    const value = flags[bound]
    if (value === undefined) continue
    const key = parseTimeBound(value, nowMs)
    if (key === undefined) throw ERR_CLI_USAGE.create(`--${bound} must be an RFC 3339 UTC time, a date (YYYY-MM-DD) or a duration like 30m, 2h, 7d; got "${value}"`)
    filter[bound] = key
  }
  if (flags.q !== undefined) filter.q = flags.q
  if (flags.afterSeq !== undefined) filter.afterSeq = parseCount('--after-seq', flags.afterSeq, 0)
  return filter
}

/** A non-negative integer option, at least `min`. */
export function parseCount(name: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) throw ERR_CLI_USAGE.create(`${name} must be an integer from ${min} to ${max}, got "${value}"`)
  return n
}

const DURATION = /^(\d+)(s|m|h|d|w|y)$/
const DURATION_MS: Record<string, number> = { s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8, y: 3.1536e10 }

/** `90d`, `5y`, `12h` in milliseconds. */
export function parseDuration(name: string, value: string): number {
  const m = DURATION.exec(value)
  if (m === null || Number(m[1]) === 0) throw ERR_CLI_USAGE.create(`${name} must be a duration such as 12h, 90d or 5y, got "${value}"`)
  return Number(m[1]) * DURATION_MS[m[2]!]!
}
