/** Parsing of the options shared by several commands: the data directory and the API's filters. */
import { type Command, Option } from 'commander'
import { CLI_RULES, ERR_CLI_USAGE, type EventFilter, SEVERITIES, durationMillis } from '@tradetrail/core'
import { type ConfigSources, type TradetrailConfig, loadConfig } from '../config.ts'
import { type Fail, type FilterInput, parseFilterInput, parseInteger } from '../filter-params.ts'

/** Global options every command accepts. */
export interface GlobalOptions {
  /** The configuration: defaults < --config file (or TRADETRAIL_CONFIG) < environment < flags, as for serve. */
  config: Readonly<TradetrailConfig>
  json: boolean
}

/** The command's configuration (`--config`, `--data-dir` and the environment) and `--json`. */
export function globalOptions(command: Command, flags: ConfigSources['flags'] = {}): GlobalOptions {
  const o = command.optsWithGlobals() as { dataDir?: string; json?: boolean; config?: string }
  return { config: loadConfig({ file: o.config, flags: { dataDir: o.dataDir, ...flags } }), json: o.json ?? false }
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

const cliFail: Fail = (param, rule, value) => ERR_CLI_USAGE.create(`--${param.replaceAll('_', '-')}`, rule, value)

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
  if (ms === undefined || ms === 0) throw ERR_CLI_USAGE.create(name, CLI_RULES.duration, value)
  return ms
}
