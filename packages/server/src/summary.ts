/**
 * Seed 000's audit summary, for a day, an ISO week or a month (UTC): totals, counts by
 * project, type and severity, failures and errors first, then the most recent actions.
 * The CLI prints it; the scheduler and notifiers deliver it.
 */
import { CLI_RULES, ERR_CLI_USAGE, type EventFilter, type EventStore, SEVERITIES, type Stats, type StoredEvent, timestampKey } from '@tradetrail/core'

export const SUMMARY_PERIODS = ['day', 'week', 'month'] as const
export type SummaryPeriod = (typeof SUMMARY_PERIODS)[number]

export interface SummaryRange {
  period: SummaryPeriod
  /** `2025-12-18`, `2025-12-15/2025-12-21` or `2025-12`. */
  label: string
  /** Inclusive start and exclusive end, as timestamp keys. */
  since: string
  until: string
}

export interface Summary extends SummaryRange {
  title: string
  stats: Stats
  /** Events of severity error or worse, newest first (at most `problemLimit`). */
  problems: StoredEvent[]
  /** The most recent events, oldest first (at most `recentLimit`). */
  recent: StoredEvent[]
}

const DAY_MS = 86_400_000
const TITLES: Record<SummaryPeriod, string> = { day: 'Daily', week: 'Weekly', month: 'Monthly' }

/** Resolves `today`, `yesterday` or `YYYY-MM-DD` (UTC) to a date string. */
export function resolveDate(date: string, nowMs: number): string {
  if (date === 'today') return new Date(nowMs).toISOString().slice(0, 10)
  if (date === 'yesterday') return new Date(nowMs - DAY_MS).toISOString().slice(0, 10)
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || timestampKey(`${date}T00:00:00Z`) === undefined) {
    throw ERR_CLI_USAGE.create('--date', CLI_RULES.date, date)
  }
  return date
}

/** The UTC range of the day, ISO week (Monday to Sunday) or month containing `date`. */
export function summaryRange(period: SummaryPeriod, date: string): SummaryRange {
  const day = Date.parse(`${date}T00:00:00Z`)
  const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
  const key = (ms: number): string => timestampKey(new Date(ms).toISOString())!
  switch (period) {
    case 'day':
      return { period, label: date, since: key(day), until: key(day + DAY_MS) }
    case 'week': {
      const monday = day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS
      return { period, label: `${iso(monday)}/${iso(monday + 6 * DAY_MS)}`, since: key(monday), until: key(monday + 7 * DAY_MS) }
    }
    case 'month': {
      const d = new Date(day)
      const start = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
      const end = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
      return { period, label: date.slice(0, 7), since: key(start), until: key(end) }
    }
  }
}

export interface SummaryOptions {
  store: EventStore
  period: SummaryPeriod
  /** `YYYY-MM-DD` inside the period. */
  date: string
  /** Only the events this filter lets through (the projects a read token may see). */
  filter?: EventFilter
  /** Product or desk name in the title. */
  name?: string
  problemLimit?: number
  recentLimit?: number
}

export async function buildSummary(options: SummaryOptions): Promise<Summary> {
  const { store } = options
  const range = summaryRange(options.period, options.date)
  const filter = { ...options.filter, since: range.since, until: range.until }
  const [stats, problems, recent] = await Promise.all([
    store.stats(filter),
    store.query({ ...filter, severity: 'error', limit: options.problemLimit ?? 20 }),
    store.query({ ...filter, limit: options.recentLimit ?? 10 }),
  ])
  const title = `${options.name ?? 'Tradetrail'} – ${TITLES[range.period]} Audit Summary (${range.label.replace('/', ' – ')})`
  return { ...range, title, stats, problems, recent: recent.reverse() }
}

const RULE = '='.repeat(60)

/** One line per event, as in seed 000's log: `[ts] project/type: message`. */
export function eventLine(e: StoredEvent): string {
  return `[${e.ts}] ${e.project}/${e.type}${e.severity === 'info' ? '' : ` (${e.severity})`}: ${e.message}`
}

/** The plain-text summary (also the body of Slack, Discord and email deliveries). */
export function formatSummaryText(s: Summary): string {
  const lines = [s.title, '']
  const bySeverity = [...SEVERITIES].reverse().filter((sev) => s.stats.by_severity[sev]).map((sev) => `${sev} ${s.stats.by_severity[sev]}`)
  lines.push(`📊 Total events: ${s.stats.total}${bySeverity.length > 0 ? ` (${bySeverity.join(', ')})` : ''}`)
  const failures = (s.stats.by_severity.error ?? 0) + (s.stats.by_severity.critical ?? 0)
  if (failures > 0) {
    lines.push('', `❌ Failures and errors (${failures}${failures > s.problems.length ? `, newest ${s.problems.length} shown` : ''}):`)
    for (const e of s.problems) lines.push(eventLine(e))
  }
  const table = (heading: string, counts: Record<string, number>): void => {
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    if (entries.length === 0) return
    const width = Math.max(...entries.map(([k]) => k.length))
    lines.push('', heading)
    for (const [k, n] of entries) lines.push(`  ${k.padEnd(width)}  ${n}`)
  }
  table('By project:', s.stats.by_project)
  table('By type:', s.stats.by_type)
  if (s.recent.length > 0) {
    lines.push('', 'Recent actions:', RULE)
    for (const e of s.recent) lines.push(eventLine(e))
    lines.push(RULE)
  }
  lines.push('', failures > 0
    ? `⚠️ ${s.stats.total} events recorded, ${failures} failure${failures === 1 ? '' : 's'} or error${failures === 1 ? '' : 's'}`
    : `✅ ${s.stats.total} events recorded, no errors`)
  return lines.join('\n') + '\n'
}
