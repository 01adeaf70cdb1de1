/**
 * `tradetrail alerts list|ack|resolve|outbox`: on the data directory (also while a collector runs
 * on it), or acknowledge and resolve through a collector with --url, as its token.
 */
import type { Command } from 'commander'
import { ALERT_RULES, ALERT_STATES, type Alert, ERR_CLI_USAGE, type OutboxEntry } from '@tradetrail/core'
import { parseStates } from '../collector/alert-routes.ts'
import { parseInteger } from '../filter-params.ts'
import { type AlertFail, acknowledgeAlert, resolveAlert } from '../notify/alert-actions.ts'
import { withTrail } from './cli-context.ts'
import { printJson } from './cli-output.ts'
import { type Remote, remote, withRemote } from './cli-remote.ts'

const cliFail: AlertFail = (field, rule, value) => ERR_CLI_USAGE.create(`--${field}`, ALERT_RULES[rule], value)
const limitOf = (raw: string): number => parseInteger(raw, '--limit', (flag, rule, value) => ERR_CLI_USAGE.create(flag, rule, value), 1, 100_000)

function describe(a: Alert): string {
  const who = a.state === 'acknowledged' ? ` by ${a.acknowledged_by} at ${a.acknowledged_at}` : a.state === 'resolved' ? ` by ${a.resolved_by} at ${a.resolved_at}` : ''
  const where = [a.project, a.seq === null ? undefined : `seq ${a.seq}`].filter((x) => x !== null && x !== undefined).join(' ')
  return `${a.id}  ${a.state.toUpperCase()}${who}  ${a.severity}  ${a.rule}  ${a.title}${a.count > 1 ? `  (×${a.count}, last ${a.last_seen_at})` : ''}${where === '' ? '' : `  [${where}]`}  opened ${a.opened_at}`
}

function describeEntry(e: OutboxEntry): string {
  const state = e.delivered_at !== null ? `DELIVERED ${e.delivered_at}` : e.attempts === 0 ? 'PENDING' : `FAILING ×${e.attempts}, next ${e.next_attempt_at}: ${e.last_error}`
  return `${e.key}  ${e.channel}  ${state}  ${e.notification.title}  queued ${e.created_at}`
}

export function registerAlertCommands(program: Command): void {
  const alerts = program.command('alerts').description('alerts raised for operators (critical events, privilege violations, clock skew, write failures, failed verifications) and the notifications sent for them')

  alerts.command('list')
    .description('list alerts, newest first')
    .option('--state <states>', `only these states, comma-separated: ${ALERT_STATES.join(', ')}`)
    .option('--limit <n>', 'at most this many', '100')
    .action(async (flags: { state?: string; limit: string }, command: Command) => {
      const states = parseStates(flags.state, (value) => ERR_CLI_USAGE.create('--state', `must be a comma-separated list of ${ALERT_STATES.join(', ')}`, value))
      const limit = limitOf(flags.limit)
      await withTrail(command, 'reader', async (trail, options) => {
        const list = await trail.alerts.listAlerts({ states, limit })
        if (options.json) printJson(list)
        else for (const a of list) process.stdout.write(describe(a) + '\n')
      })
    })

  for (const [action, act, done, what] of [
    ['ack', acknowledgeAlert, 'acknowledged', 'acknowledge an alert: someone is on it (recorded in the trail)'],
    ['resolve', resolveAlert, 'resolved', 'resolve an alert (recorded in the trail)'],
  ] as const) {
    withRemote(alerts.command(action), action === 'ack' ? 'acknowledge' : 'resolve')
      .description(what)
      .argument('<id>', 'the alert id, as "alerts list" shows it')
      .option('--note <text>', 'why, or what is being done: one line, recorded in the trail')
      .action(async (id: string, flags: Remote & { note?: string }, command: Command) => {
        const result = flags.url !== undefined
          ? await remote<Alert>(flags, 'POST', `/v1/alerts/${encodeURIComponent(id)}/${action}`, flags.note === undefined ? {} : { note: flags.note })
          : await withTrail(command, 'command', async (trail) => act(trail, id, trail.self, flags.note, cliFail))
        if (command.optsWithGlobals().json === true) printJson(result)
        else process.stdout.write(`alert ${result.id} ${result.state === done ? done : `is ${result.state}`}: ${result.title}\n`)
      })
  }

  alerts.command('outbox')
    .description('notifications waiting for their channel (failing ones with their last error), newest first')
    .option('--all', 'delivered ones too')
    .option('--limit <n>', 'at most this many', '100')
    .action(async (flags: { all?: boolean; limit: string }, command: Command) => {
      const limit = limitOf(flags.limit)
      await withTrail(command, 'reader', async (trail, options) => {
        const entries = await trail.outbox.listOutbox({ undeliveredOnly: flags.all !== true, limit })
        if (options.json) printJson(entries)
        else for (const e of entries) process.stdout.write(describeEntry(e) + '\n')
      })
    })
}
