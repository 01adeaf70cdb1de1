/**
 * `tradetrail summary` prints seed 000's audit summary; with `--send` it also queues it for the
 * default route's channels under the period's key and sends what it queued (what fails waits in
 * the outbox for the collector's retries). `daily_summary` is seed 000's name for it.
 * `tradetrail test` records a test event and sends a test message to every channel, reporting each.
 */
import { type Command, Option } from 'commander'
import { type Notification, formatMicros } from '@tradetrail/core'
import { defaultRoute } from '../notify/default-route.ts'
import type { Notifier } from '../notify/notifier.ts'
import { enqueueSummary } from '../notify/summary-notifications.ts'
import { buildSummary, formatSummaryText, resolveDate, SUMMARY_PERIODS, type SummaryPeriod } from '../summary.ts'
import type { Trail } from '../trail/open-trail.ts'
import { withTrail } from './cli-context.ts'
import type { GlobalOptions } from './cli-options.ts'
import { printJson } from './cli-output.ts'

/** A failed send from the CLI waits this long in the outbox before the collector tries it again. */
const CLI_RETRY_MS = 60_000

interface Outcome { channel: string; where: string; outcome: 'delivered' | 'failed' | 'already queued'; key?: string; error?: string }

async function sendTo(channels: Notifier[], send: (channel: Notifier) => Promise<Omit<Outcome, 'channel' | 'where'>>): Promise<Outcome[]> {
  try {
    return await Promise.all(channels.map(async (c) => ({ channel: c.name, where: c.where, ...(await send(c)) })))
  } finally {
    for (const c of channels) c.close()
  }
}

function report(outcomes: Outcome[], options: GlobalOptions, extra: Record<string, unknown> = {}): void {
  if (outcomes.some((o) => o.outcome === 'failed')) process.exitCode = 1
  if (options.json) return printJson({ ...extra, channels: outcomes })
  if (outcomes.length === 0) {
    process.exitCode = 1
    process.stdout.write('no notification channel is configured (QT_ALERT_WEBHOOK, QT_AUDIT_EMAIL, TRADETRAIL_NOTIFY_WEBHOOK_URL): nothing sent\n')
  }
  for (const o of outcomes) process.stdout.write(`${o.channel} (${o.where}): ${o.outcome}${o.error === undefined ? '' : `: ${o.error}`}\n`)
}

const errorText = (error: unknown): string => {
  const e = error as { code?: string; message?: string }
  return `${e.message ?? String(error)}${e.code === undefined ? '' : ` (${e.code})`}`
}

/** Sends a queued entry now: delivered, or marked failed so that the collector retries it. */
async function sendQueued(trail: Trail, channel: Notifier, key: string, notification: Notification): Promise<Omit<Outcome, 'channel' | 'where'>> {
  try {
    await channel.send(notification, key)
    await trail.outbox.markDelivered(key, formatMicros(trail.clock.nowMicros()))
    return { outcome: 'delivered', key }
  } catch (error) {
    await trail.outbox.markFailed(key, errorText(error), formatMicros(trail.clock.nowMicros() + CLI_RETRY_MS * 1000))
    return { outcome: 'failed', key, error: `${errorText(error)}; it waits in the outbox for the collector` }
  }
}

export function registerSummaryCommand(program: Command): void {
  program.command('summary').alias('daily_summary')
    .description('seed 000\'s audit summary: totals, by project/type/severity, errors first, open alerts, recent actions, the signed chain head')
    .addOption(new Option('--period <period>', 'length of the period').choices([...SUMMARY_PERIODS]).default('day'))
    .option('--date <date>', 'a day in the period: YYYY-MM-DD, today or yesterday (UTC)', 'today')
    .option('--send', 'also send it to the configured channels, once per period (the key of the period keeps a second send from delivering again)')
    .action(async (flags: { period: SummaryPeriod; date: string; send?: boolean }, command: Command) => {
      const date = resolveDate(flags.date, Date.now())
      if (flags.send !== true) {
        return withTrail(command, 'reader', async (trail, options) => {
          const summary = await buildSummary({ store: trail.store, alerts: trail.alerts, period: flags.period, date })
          if (options.json) printJson(summary)
          else process.stdout.write(formatSummaryText(summary))
        })
      }
      await withTrail(command, 'command', async (trail, options) => {
        const channels = defaultRoute(options.config, trail.clock)
        await trail.checkpointer.checkpoint()
        const queued = await enqueueSummary(trail, channels.map((c) => c.name), flags.period, date)
        if (!options.json) process.stdout.write(formatSummaryText(queued.summary))
        const outcomes = await sendTo(channels, (c) => {
          const { key, added } = queued.entries[channels.indexOf(c)]!
          return added ? sendQueued(trail, c, key, queued.notification) : Promise.resolve({ outcome: 'already queued' as const, key })
        })
        report(outcomes, options, { summary: queued.summary })
      })
    })

  program.command('test')
    .description('record a test event and send a test message to every configured channel, reporting each one\'s outcome')
    .action(async (_flags: unknown, command: Command) => {
      await withTrail(command, 'command', async (trail, options) => {
        const channels = defaultRoute(options.config, trail.clock)
        const at = formatMicros(trail.clock.nowMicros())
        await trail.record('notify_test', `Test notification to ${channels.length} channel${channels.length === 1 ? '' : 's'} (${channels.map((c) => c.name).join(', ') || 'none configured'})`,
          { channels: channels.map((c) => c.name) }, 'notice')
        const notification: Notification = {
          kind: 'test', severity: 'info', title: 'Tradetrail test notification',
          text: `This is a test sent by tradetrail test at ${at}. If you read this, the channel works.`, fields: [['Data directory', trail.dataDir]], alert_id: null,
        }
        const outcomes = await sendTo(channels, async (c) => {
          try {
            await c.send(notification, `test-${at}-${c.name}`)
            return { outcome: 'delivered' }
          } catch (error) {
            return { outcome: 'failed', error: errorText(error) }
          }
        })
        report(outcomes, options)
      })
    })
}
