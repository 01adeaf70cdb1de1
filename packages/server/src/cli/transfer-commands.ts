/** Moving events in and out: export (CSV/JSONL), dump (seed 002's JSON by project), import (seed files). */
import { type Command, Option } from 'commander'
import { CSV_HEADER, EXPORT_FORMATS, type ExportFormat, csvRow, jsonLine, systemClock } from '@tradetrail/core'
import { DUMP_HOURS, dumpChunks } from '../seed-dump.ts'
import { importFile } from '../seed-import.ts'
import { withLazyTrail, withTrail } from './cli-context.ts'
import { type FilterFlags, parseCount, parseFilter, withFilterOptions } from './cli-options.ts'
import { openOutput, printJson } from './cli-output.ts'

export function registerTransferCommands(program: Command): void {
  withFilterOptions(program.command('export'))
    .description('stream matching events in seq order, any size')
    .addOption(new Option('--format <format>', 'output format').choices([...EXPORT_FORMATS]).default('jsonl'))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (flags: FilterFlags & { format: ExportFormat; out?: string }, command: Command) => {
      const filter = parseFilter(flags)
      await withTrail(command, 'reader', async (trail) => {
        const out = await openOutput(flags.out)
        const row = flags.format === 'csv' ? csvRow : jsonLine
        if (flags.format === 'csv') await out.write(CSV_HEADER)
        for await (const chunk of trail.store.scan(filter)) {
          let text = ''
          for (const e of chunk) text += row(e)
          await out.write(text)
        }
        await out.done()
      })
    })

  program.command('dump')
    .description('the events of the last hours as one JSON object by project (seed 002\'s dumped_audit_trails.json)')
    .option('--hours <n>', 'how far back', String(DUMP_HOURS.default))
    .option('--out <file>', 'write to this file instead of stdout')
    .action(async (flags: { hours: string; out?: string }, command: Command) => {
      const hours = parseCount('--hours', flags.hours, DUMP_HOURS.min, DUMP_HOURS.max)
      await withTrail(command, 'reader', async (trail) => {
        const out = await openOutput(flags.out)
        for await (const text of dumpChunks(trail.store, { hours, nowMs: Date.now() })) await out.write(text)
        await out.done()
      })
    })

  program.command('import')
    .description('read seed 000 text logs, seed 003 JSONL and Tradetrail JSONL into the trail')
    .argument('<file>', 'file to import')
    .option('--project <name>', 'project for lines that name none', 'imported')
    .option('--strict', 'all or nothing: any bad line imports nothing')
    .action(async (file: string, flags: { project: string; strict?: boolean }, command: Command) => {
      parseFilter({ project: flags.project }) // the same rule as every --project, checked before any work
      await withLazyTrail(command, 'command', async (trail, options) => {
        const result = await importFile({
          path: file, append: async (batch) => { const t = await trail(); return t.submit(batch, t.self) }, project: flags.project, strict: flags.strict ?? false,
          nowMicros: systemClock.nowMicros(),
        })
        if (options.json) printJson(result)
        else {
          for (const e of result.errors.slice(0, 20)) process.stderr.write(`${file}:${e.line}: ${e.message}\n`)
          if (result.errors.length > 20) process.stderr.write(`… and ${result.errors.length - 20} more bad lines\n`)
          process.stdout.write(`imported ${result.accepted} events (${result.duplicates} already present) from ${result.lines} lines; ${result.errors.length} bad\n`)
        }
        if (result.errors.length > 0) process.exitCode = 1
      })
    })
}
