/** Writing and reading the trail: log, query, tail, stats. */
import { setTimeout as sleep } from 'node:timers/promises'
import { type Command, Option } from 'commander'
import { CLI_RULES, ERR_CLI_USAGE, SEVERITIES, type StoredEvent, systemClock, validateBatch } from '@tradetrail/core'
import { withTrail } from './cli-context.ts'
import { type FilterFlags, parseCount, parseFilter, withFilterOptions } from './cli-options.ts'
import { formatEvent, printJson, write } from './cli-output.ts'

/** `--data k=v`: numbers, true/false and null become JSON values; anything else is a string. */
export function parseDataPair(pair: string, into: Record<string, unknown>): Record<string, unknown> {
  const eq = pair.indexOf('=')
  if (eq <= 0) throw ERR_CLI_USAGE.create('--data', CLI_RULES.keyValue, pair)
  const key = pair.slice(0, eq)
  const raw = pair.slice(eq + 1)
  let value: unknown = raw
  if (raw === 'true' || raw === 'false' || raw === 'null' || /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(raw)) value = JSON.parse(raw)
  into[key] = value
  return into
}

export function registerTrailCommands(program: Command): void {
  program.command('log')
    .description('record one event')
    .argument('<message>', 'what happened, as a sentence')
    .option('--project <name>', 'the system it happened in (default $TRADETRAIL_PROJECT or "cli")')
    .option('--type <type>', 'event type (default unclassified_event)')
    .addOption(new Option('--severity <level>', 'severity (default info)').choices([...SEVERITIES]))
    .option('--source <source>', 'component that acted')
    .option('--actor <actor>', 'user or bot identity that acted')
    .option('--data <key=value>', 'a data field; repeat for more', parseDataPair, {})
    .option('--data-json <object>', 'data as a JSON object (merged with --data)')
    .option('--ts <time>', 'when it happened, RFC 3339 UTC (default now)')
    .option('--id <uuid>', 'idempotency key (default a new UUIDv7)')
    .action(async (message: string, flags: Record<string, unknown>, command: Command) => {
      let data = flags.data as Record<string, unknown>
      if (typeof flags.dataJson === 'string') {
        let parsed: unknown
        try {
          parsed = JSON.parse(flags.dataJson)
        } catch {
          throw ERR_CLI_USAGE.create('--data-json', CLI_RULES.json, flags.dataJson)
        }
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw ERR_CLI_USAGE.create('--data-json', CLI_RULES.jsonObject, flags.dataJson)
        data = { ...(parsed as Record<string, unknown>), ...data }
      }
      const event: Record<string, unknown> = { project: flags.project ?? process.env.TRADETRAIL_PROJECT ?? 'cli', message }
      for (const key of ['type', 'severity', 'source', 'actor', 'ts', 'id'] as const) if (flags[key] !== undefined) event[key] = flags[key]
      if (Object.keys(data).length > 0) event.data = data
      const [prepared] = validateBatch([event], { nowMicros: systemClock.nowMicros() })
      await withTrail(command, 'command', async (trail, options) => {
        const result = await trail.submit([prepared!], trail.self)
        if (options.json) printJson({ id: prepared!.id, ...result })
        else process.stdout.write(result.accepted > 0 ? `recorded #${result.first_seq} ${prepared!.id}\n` : `already recorded ${prepared!.id}\n`)
      })
    })

  withFilterOptions(program.command('query'))
    .description('search the trail, newest first')
    .option('--limit <n>', 'at most this many events (1-10000)', '50')
    .addOption(new Option('--order <order>', 'newest first (desc) or by seq (asc)').choices(['desc', 'asc']).default('desc'))
    .action(async (flags: FilterFlags & { limit: string; order: 'asc' | 'desc' }, command: Command) => {
      const limit = parseCount('--limit', flags.limit, 1, 10_000)
      const filter = parseFilter(flags)
      await withTrail(command, 'reader', async (trail, options) => {
        const events = await trail.store.query({ ...filter, limit, order: flags.order })
        if (options.json) printJson({ events })
        else for (const e of events) process.stdout.write(formatEvent(e) + '\n')
      })
    })

  withFilterOptions(program.command('tail'))
    .description('show the latest events; with -f keep showing new ones')
    .option('-n, --lines <n>', 'how many recent events to show first', '20')
    .option('-f, --follow', 'keep printing events as they are stored')
    .option('--interval <ms>', 'how often -f looks for new events', '250')
    .action(async (flags: FilterFlags & { lines: string; follow?: boolean; interval: string }, command: Command) => {
      const lines = parseCount('--lines', flags.lines, 0, 10_000)
      const interval = parseCount('--interval', flags.interval, 10, 60_000)
      const filter = parseFilter(flags)
      await withTrail(command, 'reader', async (trail, options) => {
        const print = async (e: StoredEvent): Promise<void> => write(process.stdout, options.json ? JSON.stringify(e) + '\n' : formatEvent(e) + '\n')
        const recent = lines > 0 ? (await trail.store.query({ ...filter, limit: lines })).reverse() : []
        for (const e of recent) await print(e)
        if (!flags.follow) return
        // Resume after what was shown, or after the head when nothing was: no gap, no repeat.
        let after = recent.length > 0 ? recent[recent.length - 1]!.seq : Math.max(filter.afterSeq ?? 0, (await trail.store.head()).seq)
        let stopped = false
        const stop = (): void => { stopped = true }
        process.once('SIGINT', stop)
        process.once('SIGTERM', stop)
        while (!stopped) {
          const events = await trail.store.query({ ...filter, afterSeq: after, order: 'asc', limit: 1000 })
          for (const e of events) await print(e)
          if (events.length > 0) after = events[events.length - 1]!.seq
          else await sleep(interval)
        }
      })
    })

  withFilterOptions(program.command('stats'))
    .description('count events by project, type and severity')
    .action(async (flags: FilterFlags, command: Command) => {
      const filter = parseFilter(flags)
      await withTrail(command, 'reader', async (trail, options) => {
        const stats = await trail.store.stats(filter)
        if (options.json) return printJson(stats)
        const out = [`total ${stats.total}`]
        for (const [heading, counts] of [['by project', stats.by_project], ['by type', stats.by_type], ['by severity', stats.by_severity]] as const) {
          out.push('', heading)
          for (const [k, n] of Object.entries(counts).sort((a, b) => b[1] - a[1])) out.push(`  ${k}  ${n}`)
        }
        process.stdout.write(out.join('\n') + '\n')
      })
    })
}
