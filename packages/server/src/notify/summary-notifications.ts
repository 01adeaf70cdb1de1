/**
 * Summaries as notifications: built for a period, put into the outbox once per channel under a
 * key of the period (`summary-day-2025-12-17-slack`), so that the collector's scheduler, an
 * installed timer or cron job (`tradetrail summary --send`) and a retry never deliver one
 * period twice to a channel: the outbox keeps each key once.
 */
import type { Notification } from '@tradetrail/core'
import { formatMicros } from '@tradetrail/core'
import { type Summary, type SummaryPeriod, buildSummary, formatSummaryBody, formatSummaryDiscord, formatSummaryHtml, formatSummarySlack, summaryRange } from '../summary.ts'
import type { Trail } from '../trail/open-trail.ts'

export type SummaryTrail = Pick<Trail, 'store' | 'alerts' | 'outbox' | 'clock'>

/** The outbox key of a period's summary on a channel: the period's kind and first day. */
export function summaryKey(period: SummaryPeriod, date: string, channel: string): string {
  return `summary-${period}-${summaryRange(period, date).since.slice(0, 10)}-${channel}`
}

/** The notification of a summary: its text in every format the channels show. */
export function summaryNotification(s: Summary): Notification {
  const failures = (s.stats.by_severity.error ?? 0) + (s.stats.by_severity.critical ?? 0)
  return {
    kind: 'summary', severity: failures > 0 ? 'warning' : 'info', title: s.title, text: formatSummaryBody(s),
    fields: [['Period', s.label], ['Events', String(s.stats.total)], ['Chain head', String(s.chain.head_seq)]], alert_id: null,
    formatted: { slack: formatSummarySlack(s), discord: formatSummaryDiscord(s), html: formatSummaryHtml(s) },
  }
}

export interface QueuedSummary {
  summary: Summary
  notification: Notification
  /** One per channel, in the channels' order: its key, and whether it is new (not queued or sent before). */
  entries: Array<{ key: string; added: boolean }>
}

/** Builds the summary of the period containing `date` and queues it for every channel (once per period and channel). */
export async function enqueueSummary(trail: SummaryTrail, channels: readonly string[], period: SummaryPeriod, date: string): Promise<QueuedSummary> {
  const summary = await buildSummary({ store: trail.store, alerts: trail.alerts, period, date })
  const notification = summaryNotification(summary)
  const created_at = formatMicros(trail.clock.nowMicros())
  const entries = []
  for (const channel of channels) {
    const key = summaryKey(period, date, channel)
    entries.push({ key, added: (await trail.outbox.enqueue([{ key, channel, notification, created_at }])) > 0 })
  }
  return { summary, notification, entries }
}

const JOBS = { day: 'daily', week: 'weekly', month: 'monthly' } as const

/**
 * Schedules the daily, weekly and monthly summaries on the collector's scheduler, at 00:00 UTC
 * for the period just ended. Each run signs a checkpoint of the head first, so the summary
 * carries the head signed. `onEnqueued` is told when something was queued (to send it now).
 */
export function scheduleSummaries(trail: SummaryTrail & Pick<Trail, 'scheduler' | 'checkpointer'>, channels: readonly string[], onEnqueued: () => void): void {
  const { scheduler } = trail
  if (scheduler === undefined || channels.length === 0) return
  for (const period of ['day', 'week', 'month'] as const) {
    scheduler[JOBS[period]]({
      name: `summary:${period}`,
      retryMs: 600_000,
      run: async ({ start }) => {
        await trail.checkpointer.checkpoint()
        if ((await enqueueSummary(trail, channels, period, start)).entries.some((e) => e.added)) onEnqueued()
      },
    })
  }
}
