/**
 * The `notify` section of the config file: configured alert rules and what holds their messages
 * back (quiet hours, a rate limit per channel). Checked once at start; each mistake stops the
 * start with TT_ERR_CONFIG_INVALID naming the rule and the field (docs/operations.md, "Rules").
 */
import { ERR_CONFIG_INVALID, SEVERITIES, type Severity, durationMillis } from '@tradetrail/core'
import type { ChannelKind } from './notifier.ts'

export const CHANNEL_KINDS: readonly ChannelKind[] = ['slack', 'discord', 'email', 'webhook']

export interface RuleMatch {
  /** Any of these projects (absent: every project). */
  project?: readonly string[]
  /** Any of these types. */
  type?: readonly string[]
  /** This severity or above. */
  minSeverity?: Severity
  /** Any of these server-set flags. */
  flags?: readonly string[]
  /** Found in the event's message, case ignored. */
  text?: string
}

export interface RuleConfig {
  name: string
  match: RuleMatch
  /** The channels its messages go to. */
  route: readonly ChannelKind[]
  /** Matches within this long after the first become one message that counts them (0: at once). */
  waitMs: number
  /** While unresolved and unacknowledged, told again this often (undefined: never). */
  repeatMs: number | undefined
  /** Unacknowledged this long after the first message: told to another route as well. */
  escalate: { afterMs: number; route: readonly ChannelKind[] } | undefined
}

export interface NotifySection {
  rules: readonly RuleConfig[]
  /** An IANA time zone, for the quiet hours. */
  timeZone: string
  /** Minutes after local midnight; `from` later than `to` spans midnight. */
  quietHours: { from: number; to: number } | undefined
  rateLimit: { messages: number; perMs: number } | undefined
}

export const NO_NOTIFY_SECTION: NotifySection = Object.freeze({ rules: [], timeZone: 'UTC', quietHours: undefined, rateLimit: undefined })

type Json = Record<string, unknown>

/** Reads the section; `where` names the file. */
export function parseNotifySection(value: unknown, where: string): NotifySection {
  const fail = (path: string, reason: string): never => { throw ERR_CONFIG_INVALID.create(`notify${path} in ${where}`, '', reason) }
  const object = (v: unknown, path: string, keys: readonly string[]): Json => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return fail(path, 'must be a JSON object')
    for (const key of Object.keys(v)) if (!keys.includes(key)) fail(`${path}.${key}`, `is not a field here; known: ${keys.join(', ')}`)
    return v as Json
  }
  const string = (v: unknown, path: string): string => (typeof v === 'string' && v.trim() !== '' ? v : fail(path, 'must be a non-empty string'))
  const strings = (v: unknown, path: string): string[] => {
    if (!Array.isArray(v) || v.length === 0) return fail(path, 'must be a non-empty array of strings')
    return v.map((s, i) => string(s, `${path}[${i}]`))
  }
  const duration = (v: unknown, path: string): number => {
    const ms = typeof v === 'string' ? durationMillis(v.trim()) : undefined
    return ms !== undefined && ms > 0 ? ms : fail(path, 'must be a duration such as 30s, 15m or 2h')
  }
  const route = (v: unknown, path: string): ChannelKind[] => strings(v, path).map((c, i) =>
    (CHANNEL_KINDS as readonly string[]).includes(c) ? c as ChannelKind : fail(`${path}[${i}]`, `"${c}" is no channel; channels: ${CHANNEL_KINDS.join(', ')}`))
  const clock = (v: unknown, path: string): number => {
    const m = typeof v === 'string' ? /^([01]\d|2[0-3]):([0-5]\d)$/.exec(v) : null
    return m ? Number(m[1]) * 60 + Number(m[2]) : fail(path, 'must be a time of day as HH:MM (00:00 to 23:59)')
  }

  const section = object(value, '', ['rules', 'timeZone', 'quietHours', 'rateLimit'])
  const timeZone = section.timeZone === undefined ? 'UTC' : string(section.timeZone, '.timeZone')
  try {
    new Intl.DateTimeFormat('en', { timeZone })
  } catch {
    fail('.timeZone', `"${timeZone}" is not a time zone (IANA names such as UTC, Europe/London, America/New_York)`)
  }
  let quietHours: NotifySection['quietHours']
  if (section.quietHours !== undefined) {
    const q = object(section.quietHours, '.quietHours', ['from', 'to'])
    quietHours = { from: clock(q.from, '.quietHours.from'), to: clock(q.to, '.quietHours.to') }
    if (quietHours.from === quietHours.to) fail('.quietHours', 'from and to must differ')
  }
  let rateLimit: NotifySection['rateLimit']
  if (section.rateLimit !== undefined) {
    const r = object(section.rateLimit, '.rateLimit', ['messages', 'per'])
    const messages = Number.isInteger(r.messages) && (r.messages as number) >= 1 ? r.messages as number : fail('.rateLimit.messages', 'must be a whole number from 1')
    rateLimit = { messages, perMs: duration(r.per, '.rateLimit.per') }
  }
  if (section.rules !== undefined && !Array.isArray(section.rules)) fail('.rules', 'must be an array of rules')
  const names = new Set<string>()
  const rules = ((section.rules ?? []) as unknown[]).map((raw, i): RuleConfig => {
    // The rule's name, once known, says which rule a mistake is in.
    const named = typeof raw === 'object' && raw !== null && typeof (raw as Json).name === 'string' ? ` "${(raw as Json).name as string}"` : ''
    const at = `.rules[${i}]${named}`
    const r = object(raw, at, ['name', 'match', 'route', 'wait', 'repeat', 'escalate'])
    const name = string(r.name, `${at}.name`)
    if (!/^[a-z][a-z0-9_]{0,63}$/.test(name)) fail(`${at}.name`, 'must be lower-case letters, digits and _ (at most 64), starting with a letter')
    if (names.has(name)) fail(`${at}.name`, 'is the name of an earlier rule')
    names.add(name)
    const m = object(r.match, `${at}.match`, ['project', 'type', 'minSeverity', 'flags', 'text'])
    if (Object.keys(m).length === 0) fail(`${at}.match`, 'must say what the rule matches (project, type, minSeverity, flags, text)')
    const match: RuleMatch = {}
    if (m.project !== undefined) match.project = strings(m.project, `${at}.match.project`)
    if (m.type !== undefined) match.type = strings(m.type, `${at}.match.type`)
    if (m.flags !== undefined) match.flags = strings(m.flags, `${at}.match.flags`)
    if (m.text !== undefined) match.text = string(m.text, `${at}.match.text`)
    if (m.minSeverity !== undefined) {
      match.minSeverity = (SEVERITIES as readonly unknown[]).includes(m.minSeverity)
        ? m.minSeverity as Severity : fail(`${at}.match.minSeverity`, `must be one of ${SEVERITIES.join(', ')}`)
    }
    let escalate: RuleConfig['escalate']
    if (r.escalate !== undefined) {
      const e = object(r.escalate, `${at}.escalate`, ['after', 'route'])
      escalate = { afterMs: duration(e.after, `${at}.escalate.after`), route: route(e.route, `${at}.escalate.route`) }
    }
    return {
      name, match, route: route(r.route, `${at}.route`),
      waitMs: r.wait === undefined ? 0 : duration(r.wait, `${at}.wait`),
      repeatMs: r.repeat === undefined ? undefined : duration(r.repeat, `${at}.repeat`),
      escalate,
    }
  })
  return { rules, timeZone, quietHours, rateLimit }
}

/** Refuses a route naming a channel that is not configured; `configured` are the default route's channels. */
export function checkRouteChannels(section: NotifySection, configured: readonly ChannelKind[], where: string): void {
  section.rules.forEach((rule, i) => {
    const routes: Array<[string, readonly ChannelKind[]]> = [['route', rule.route]]
    if (rule.escalate !== undefined) routes.push(['escalate.route', rule.escalate.route])
    for (const [field, channels] of routes) {
      const missing = channels.find((c) => !configured.includes(c))
      if (missing !== undefined) {
        throw ERR_CONFIG_INVALID.create(`notify.rules[${i}] "${rule.name}".${field} in ${where}`, '',
          `names the ${missing} channel, which is not configured (configured: ${configured.join(', ') || 'none'}; docs/operations.md, "Alerts and notifications")`)
      }
    }
  })
}
