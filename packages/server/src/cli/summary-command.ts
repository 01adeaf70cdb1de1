import { type Command, Option } from 'commander'
import { buildSummary, formatSummaryText, resolveDate, SUMMARY_PERIODS, type SummaryPeriod } from '../summary.ts'
import { withTrail } from './cli-context.ts'
import { printJson } from './cli-output.ts'

export function registerSummaryCommand(program: Command): void {
  program.command('summary')
    .description('seed 000\'s audit summary: totals, by project/type/severity, errors first, recent actions')
    .addOption(new Option('--period <period>', 'length of the period').choices([...SUMMARY_PERIODS]).default('day'))
    .option('--date <date>', 'a day in the period: YYYY-MM-DD, today or yesterday (UTC)', 'today')
    .action(async (flags: { period: SummaryPeriod; date: string }, command: Command) => {
      const date = resolveDate(flags.date, Date.now())
      await withTrail(command, 'reader', async (trail, options) => {
        const summary = await buildSummary({ store: trail.store, period: flags.period, date })
        if (options.json) printJson(summary)
        else process.stdout.write(formatSummaryText(summary))
      })
    })
}
