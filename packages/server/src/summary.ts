/**
 * Seed 000's audit summary, for a day, an ISO week or a month (UTC): totals, counts by
 * project, type and severity, failures and errors first, the open alerts, the most recent
 * actions, and the chain's signed head (seq, hash, signature), so that every summary sent
 * off the machine also witnesses the trail. The CLI prints it; notify/summary-notifications.ts
 * sends it as plain text, Slack mrkdwn, Discord markdown and HTML, all made from one list of blocks.
 */
import { type Alert, type AlertStore, CLI_RULES, type Checkpoint, ERR_CLI_USAGE, type EventFilter, type EventStore, SEVERITIES, type Stats, type StoredEvent, timestampKey } from '@tradetrail/core'
import { escapeHtml } from './notify/notifier.ts'

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
  /** Unresolved alerts (open or acknowledged), newest first; undefined when no alert store was given. */
  alerts: Alert[] | undefined
  /** The chain now (not at the period's end): its head, and the latest signed checkpoint. */
  chain: { head_seq: number; head_hash: string; signed: Checkpoint | undefined }
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
  /** Lists the unresolved alerts (a collector's or a CLI's trail has one). */
  alerts?: AlertStore
  period: SummaryPeriod
  /** `YYYY-MM-DD` inside the period. */
  date: string
  /** Only the events this filter lets through (the projects a read token may see). */
  filter?: EventFilter
  /** Product or desk name in the title. */
  name?: string
  problemLimit?: number
  recentLimit?: number
  alertLimit?: number
}

export async function buildSummary(options: SummaryOptions): Promise<Summary> {
  const { store } = options
  const range = summaryRange(options.period, options.date)
  const filter = { ...options.filter, since: range.since, until: range.until }
  const [stats, problems, recent, alerts, head, signed] = await Promise.all([
    store.stats(filter),
    store.query({ ...filter, severity: 'error', limit: options.problemLimit ?? 20 }),
    store.query({ ...filter, limit: options.recentLimit ?? 10 }),
    options.alerts?.listAlerts({ states: ['open', 'acknowledged'], limit: options.alertLimit ?? 20 }),
    store.head(),
    store.latestCheckpoint(),
  ])
  const title = `${options.name ?? 'Tradetrail'} – ${TITLES[range.period]} Audit Summary (${range.label.replace('/', ' – ')})`
  return { ...range, title, stats, problems, recent: recent.reverse(), alerts, chain: { head_seq: head.seq, head_hash: head.hash.toString('hex'), signed } }
}

const RULE = '='.repeat(60)

/** One line per event, as in seed 000's log: `[ts] project/type: message`. */
export function eventLine(e: StoredEvent): string {
  return `[${e.ts}] ${e.project}/${e.type}${e.severity === 'info' ? '' : ` (${e.severity})`}: ${e.message}`
}

/** A part of a summary: a heading line, then lines shown as they are (monospace where the channel has it). */
interface Block {
  heading: string
  lines: string[]
  /** Framed by a rule of `=` in plain text, as seed 000 framed its recent actions. */
  ruled?: boolean
}

/** A summary as shown to a read token limited to projects: without the chain, which is the whole trail's. */
export type ShownSummary = Omit<Summary, 'chain'> & { chain?: Summary['chain'] }

function failureCount(s: ShownSummary): number {
  return (s.stats.by_severity.error ?? 0) + (s.stats.by_severity.critical ?? 0)
}

function summaryBlocks(s: ShownSummary): Block[] {
  const blocks: Block[] = []
  const bySeverity = [...SEVERITIES].reverse().filter((sev) => s.stats.by_severity[sev]).map((sev) => `${sev} ${s.stats.by_severity[sev]}`)
  blocks.push({ heading: `📊 Total events: ${s.stats.total}${bySeverity.length > 0 ? ` (${bySeverity.join(', ')})` : ''}`, lines: [] })
  const failures = failureCount(s)
  if (failures > 0) {
    blocks.push({ heading: `❌ Failures and errors (${failures}${failures > s.problems.length ? `, newest ${s.problems.length} shown` : ''}):`, lines: s.problems.map(eventLine) })
  }
  if (s.alerts !== undefined && s.alerts.length > 0) {
    blocks.push({
      heading: `🔔 Unresolved alerts (${s.alerts.length}):`,
      lines: s.alerts.map((a) => `${a.id} ${a.severity} ${a.state}${a.count > 1 ? ` ×${a.count}` : ''} since ${a.opened_at}: ${a.title}`),
    })
  }
  const table = (heading: string, counts: Record<string, number>): void => {
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    if (entries.length === 0) return
    const width = Math.max(...entries.map(([k]) => k.length))
    blocks.push({ heading, lines: entries.map(([k, n]) => `  ${k.padEnd(width)}  ${n}`) })
  }
  table('By project:', s.stats.by_project)
  table('By type:', s.stats.by_type)
  if (s.recent.length > 0) blocks.push({ heading: 'Recent actions:', lines: s.recent.map(eventLine), ruled: true })
  const { chain } = s
  const signed = chain?.signed
  if (chain !== undefined) {
    blocks.push({
      heading: `🔗 Chain head: seq ${chain.head_seq}, hash ${chain.head_hash}`,
      lines: signed === undefined
        ? ['  not signed yet']
        : [
          `  signed head: seq ${signed.seq}, hash ${signed.hash}${signed.seq < chain.head_seq ? ` (${chain.head_seq - signed.seq} later events not signed yet)` : ''}`,
          `  signed at ${signed.time} by key ${signed.key_id}`,
          `  signature: ${signed.signature}`,
        ],
    })
  }
  blocks.push({
    heading: failures > 0
      ? `⚠️ ${s.stats.total} events recorded, ${failures} failure${failures === 1 ? '' : 's'} or error${failures === 1 ? '' : 's'}`
      : `✅ ${s.stats.total} events recorded, no errors`,
    lines: [],
  })
  return blocks
}

/** The plain-text summary without its title (a notification's text; channels show the title apart). */
export function formatSummaryBody(s: ShownSummary): string {
  return summaryBlocks(s).map((b) => [b.heading, ...(b.ruled ? [RULE, ...b.lines, RULE] : b.lines)].join('\n')).join('\n\n') + '\n'
}

/** The plain-text summary, as `tradetrail summary` prints it. */
export function formatSummaryText(s: ShownSummary): string {
  return `${s.title}\n\n${formatSummaryBody(s)}`
}

/** Event text cannot end a code block early or format itself: backticks are shown as a look-alike. */
const inCode = (line: string): string => line.replace(/`/g, 'ˋ')

/** Slack mrkdwn: bold headings, lines in code blocks; `&`, `<` and `>` escaped as Slack requires. */
export function formatSummarySlack(s: ShownSummary): string {
  const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
  return summaryBlocks(s).map((b) => [`*${esc(b.heading)}*`, ...(b.lines.length > 0 ? ['```', ...b.lines.map((l) => esc(inCode(l))), '```'] : [])].join('\n')).join('\n\n')
}

/** Discord markdown: bold headings, lines in code blocks (where nothing is formatted or mentioned). */
export function formatSummaryDiscord(s: ShownSummary): string {
  const esc = (text: string): string => text.replace(/[\\*_~|`>#-]/g, (c) => `\\${c}`)
  return summaryBlocks(s).map((b) => [`**${esc(b.heading)}**`, ...(b.lines.length > 0 ? ['```', ...b.lines.map(inCode), '```'] : [])].join('\n')).join('\n\n')
}

/** The HTML of an email's body (its title is the email's heading): a heading and a `<pre>` per block. */
export function formatSummaryHtml(s: ShownSummary): string {
  return summaryBlocks(s).map((b) => `<h3>${escapeHtml(b.heading)}</h3>${b.lines.length > 0 ? `<pre>${b.lines.map(escapeHtml).join('\n')}</pre>` : ''}`).join('')
}
