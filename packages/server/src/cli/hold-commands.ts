/** `tradetrail hold place|release|list`: legal holds, on the data directory (the collector's API has the same: /v1/holds). */
import type { Command } from 'commander'
import { ERR_CLI_USAGE, HOLD_RULES, type LegalHold } from '@tradetrail/core'
import { type HoldFail, covers, placeHold, releaseHold } from '../legal-holds.ts'
import { withTrail } from './cli-context.ts'
import { printJson } from './cli-output.ts'

const cliFail: HoldFail = (field, rule, value) => ERR_CLI_USAGE.create(`--${field}`, HOLD_RULES[rule], value)

function describe(h: LegalHold): string {
  const released = h.released_at === null ? '  IN FORCE' : `  RELEASED ${h.released_at} by ${h.released_by}: ${JSON.stringify(h.release_reason)}`
  return `${h.id}  ${covers(h)}  placed ${h.placed_at} by ${h.placed_by}: ${JSON.stringify(h.reason)}${released}`
}

export function registerHoldCommands(program: Command): void {
  const hold = program.command('hold').description('legal holds: while one is in force, no purge removes the events it covers')

  hold.command('place')
    .description('hold every event of a project, or every event stamped or received in a time range, until released')
    .option('--project <name>', 'hold every event of this project')
    .option('--from <time>', 'hold events stamped (ts) or received from this time (RFC 3339 UTC, or YYYY-MM-DD)…')
    .option('--to <time>', '…until this time, not included')
    .requiredOption('--reason <text>', 'why (a case, an order, a request): one line, recorded in the trail')
    .action(async (flags: { project?: string; from?: string; to?: string; reason: string }, command: Command) => {
      await withTrail(command, 'command', async (trail, options) => {
        const placed = await placeHold(trail, flags, trail.self, cliFail)
        if (options.json) printJson(placed)
        else process.stdout.write(`placed legal hold ${placed.id} on ${covers(placed)}\n`)
      })
    })

  hold.command('release')
    .description('release a legal hold: purges may then remove what it covered')
    .argument('<id>', 'the hold id, as "hold list" shows it')
    .requiredOption('--reason <text>', 'why it is released: one line, recorded in the trail')
    .action(async (id: string, flags: { reason: string }, command: Command) => {
      await withTrail(command, 'command', async (trail, options) => {
        const released = await releaseHold(trail, id, flags.reason, trail.self, cliFail)
        if (options.json) printJson(released)
        else process.stdout.write(`released legal hold ${released.id} on ${covers(released)}\n`)
      })
    })

  hold.command('list')
    .description('list every legal hold, released ones included')
    .action(async (_flags: unknown, command: Command) => {
      await withTrail(command, 'reader', async (trail, options) => {
        const holds = await trail.holds.listHolds()
        if (options.json) printJson(holds)
        else for (const h of holds) process.stdout.write(describe(h) + '\n')
      })
    })
}
