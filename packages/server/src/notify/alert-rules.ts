/**
 * What raises an alert. A rule turns a committed event into an alert draft, or passes; its key
 * says which drafts are one alert while it is unresolved (AlertStore.raise counts them on it).
 * The default rules hold without any configuration and send to the default route at once;
 * configured rules (the config file's `notify.rules`) match on project, type, severity, flags
 * and text, and say where their alerts go, how long to gather matches, when to repeat and
 * when to escalate (alert-engine.ts does those).
 */
import { type AlertDraft, type FeedEvent, SELF_PROJECT, severityRank } from '@tradetrail/core'
import type { ChannelKind } from './notifier.ts'
import type { RuleConfig } from './rule-config.ts'

export interface Rule {
  /** Names the rule in each alert it raises. */
  readonly name: string
  /** The channels its alerts go to; undefined: every channel of the default route. */
  readonly route?: readonly ChannelKind[]
  /** Matches within this long after the first are told as one message that counts them (absent or 0: at once). */
  readonly waitMs?: number
  /** While unresolved and unacknowledged, told again this often. */
  readonly repeatMs?: number
  /** Unacknowledged this long after the first message: told to this route as well. */
  readonly escalate?: { readonly afterMs: number; readonly route: readonly ChannelKind[] }
  /** The alert `event` raises under this rule, or undefined. Sees every committed event: cheap tests first. */
  draft(event: FeedEvent): AlertDraft | undefined
}

const isFailedVerification = (e: FeedEvent): boolean => e.project === SELF_PROJECT && e.type === 'verification_run' && e.severity === 'critical'
const hasFlag = (e: FeedEvent, flag: string): boolean => e.flagged && (e.event().flags?.includes(flag) ?? false)

function fromEvent(e: FeedEvent, rule: string, key: string, title: string): AlertDraft {
  return { rule, key, severity: 'critical', title, message: e.event().message, project: e.project, seq: e.seq }
}

/** The alerts that hold without any rule configured (docs/operations.md, "Alerts and notifications"). */
export const DEFAULT_RULES: readonly Rule[] = [
  {
    // Every one counts: a failed verification is rare and each names its own first bad seq.
    name: 'verification_failed',
    draft: (e) => (isFailedVerification(e) ? fromEvent(e, 'verification_failed', `verification_failed:${e.seq}`, 'Verification of the trail FAILED') : undefined),
  },
  {
    // A kill switch must be heard: every critical event is an alert of its own.
    name: 'critical_event',
    draft: (e) => (e.severity === 'critical' && !isFailedVerification(e)
      ? fromEvent(e, 'critical_event', `critical_event:${e.seq}`, `Critical ${e.type} from ${e.project}`) : undefined),
  },
  {
    // One alert per project while unresolved: a bot without its privilege flags every trade.
    name: 'privilege_violation',
    draft: (e) => (hasFlag(e, 'privilege_violation')
      ? fromEvent(e, 'privilege_violation', `privilege_violation:${e.project}`, `Privilege violation: ${e.project} recorded ${e.type} without the privilege`) : undefined),
  },
  {
    // One alert per project while unresolved: a skewed clock flags every batch of its bot.
    name: 'clock_skew',
    draft: (e) => (hasFlag(e, 'clock_skew')
      ? { ...fromEvent(e, 'clock_skew', `clock_skew:${e.project}`, `Clock skew: ${e.project}'s clock is off beyond the limit`), severity: 'warning' } : undefined),
  },
]

/**
 * A configured rule: one alert per rule while unresolved, so its matches are counted on it (the
 * grouping and the de-duplication); the alert takes the severity of the match that opened it.
 */
export function configuredRule(config: RuleConfig): Rule {
  const { name, match, route, waitMs, repeatMs, escalate } = config
  const minRank = match.minSeverity === undefined ? -1 : severityRank(match.minSeverity)
  const projects = match.project === undefined ? undefined : new Set(match.project)
  const types = match.type === undefined ? undefined : new Set(match.type)
  const text = match.text?.toLowerCase()
  const matches = (e: FeedEvent): boolean =>
    severityRank(e.severity) >= minRank && (projects?.has(e.project) ?? true) && (types?.has(e.type) ?? true) &&
    (match.flags === undefined || (e.flagged && match.flags.some((f) => hasFlag(e, f)))) &&
    (text === undefined || e.event().message.toLowerCase().includes(text))
  return {
    name, route, waitMs, repeatMs, escalate,
    draft: (e) => (matches(e) ? { ...fromEvent(e, name, `rule:${name}`, `${name}: ${e.type} from ${e.project}`), severity: e.severity } : undefined),
  }
}

/** A commit that failed (nothing stored, the requests answered with an error): one alert while unresolved. */
export function writeFailureDraft(error: unknown, batches: number): AlertDraft {
  const e = error as { code?: string; message?: string }
  return {
    rule: 'write_failure', key: 'write_failure', severity: 'critical', title: 'Write failure: the trail could not store a commit',
    message: `A commit of ${batches} batch${batches === 1 ? '' : 'es'} failed (${e.code ?? 'error'}: ${e.message ?? String(error)}); its requests were answered with an error and nothing was stored. Check the data volume.`,
    project: null, seq: null,
  }
}
