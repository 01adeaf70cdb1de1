/** Parsing of the options shared by several commands: the data directory and the API's filters. */
import { type Command, Option } from 'commander'
import { ERR_CLI_USAGE, type EventFilter, SEVERITIES, durationMillis } from '@tradetrail/core'
import { type Fail, type FilterInput, parseFilterInput, parseInteger } from '../filter-params.ts'

/** Global options every command accepts. */
export interface GlobalOptions {
  dataDir: string
  json: boolean
  strict: boolean
}

/** `--data-dir` or TRADETRAIL_DATA_DIR or ./data; `--json`; TRADETRAIL_STRICT refuses an unsafe data directory. */
export function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals() as { dataDir?: string; json?: boolean }
  return {
    dataDir: o.dataDir ?? process.env.TRADETRAIL_DATA_DIR ?? './data',
    json: o.json ?? false,
    strict: /^(1|true|yes|on)$/i.test(process.env.TRADETRAIL_STRICT ?? ''),
  }
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

/** The filter flags as commander names them (`--after-seq` → afterSeq). */
export type FilterFlags = Omit<FilterInput, 'after_seq'> & { afterSeq?: string }

const cliFail: Fail = (param, rule) => ERR_CLI_USAGE.create(`--${param.replaceAll('_', '-')} ${rule}`)

export function parseFilter(flags: FilterFlags, nowMs: number = Date.now()): EventFilter {
  const { afterSeq, ...rest } = flags
  return parseFilterInput({ ...rest, after_seq: afterSeq }, cliFail, nowMs)
}

/** A non-negative integer option, at least `min`. */
export function parseCount(name: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  return parseInteger(value, name.replace(/^--/, ''), cliFail, min, max)
}

/** `90d`, `5y`, `12h` in milliseconds. */
export function parseDuration(name: string, value: string): number {
  const ms = durationMillis(value)
  if (ms === undefined || ms === 0) throw ERR_CLI_USAGE.create(`${name} must be a duration such as 12h, 90d or 5y, got "${value}"`)
  return ms
}
