/**
 * Alerts: what the collector raised for an operator to act on (a critical event, a privilege
 * violation, a failed commit), with a state an operator moves: open → acknowledged → resolved.
 * The contract for storing them, so every store adapter can hold them.
 */
import type { Severity } from './event.ts'

export const ALERT_STATES = ['open', 'acknowledged', 'resolved'] as const
export type AlertState = typeof ALERT_STATES[number]

/** What a rule asks to raise. */
export interface AlertDraft {
  /** The rule that raised it (`critical_event`, `privilege_violation`, …). */
  rule: string
  /**
   * At most one unresolved alert per key: a draft whose key has one counts on it (its `count`
   * goes up) instead of opening another, so a hundred identical errors make one alert.
   */
  key: string
  severity: Severity
  /** One line. */
  title: string
  message: string
  /** The project of the event that raised it; null for the collector's own conditions. */
  project: string | null
  /** seq of the event that raised it; null for a condition that is no event (a failed commit). */
  seq: number | null
}

/** An alert as stored and listed. Times are RFC 3339 UTC. */
export interface Alert extends AlertDraft {
  /** 12 hex digits. */
  id: string
  state: AlertState
  /** Occurrences counted on it while unresolved, the first included. */
  count: number
  /** seq of the newest event counted on it (null when none was an event). */
  last_seq: number | null
  opened_at: string
  last_seen_at: string
  acknowledged_at: string | null
  /** `token:<id>` or `cli:<user>@<host>`. */
  acknowledged_by: string | null
  resolved_at: string | null
  resolved_by: string | null
}

/** What raise() did. */
export interface Raised {
  alert: Alert
  /**
   * `opened`: a new alert; `counted`: the draft counted on the unresolved alert of its key;
   * `seen`: the store had counted this event already (a replay after a restart), nothing changed.
   */
  outcome: 'opened' | 'counted' | 'seen'
}

export interface AlertStore {
  /**
   * Opens an alert for `draft` as `id` at `at`, or counts the draft on the unresolved alert of
   * its key. An event (a draft with a seq) counts once: a draft whose seq is not above the
   * `last_seq` of an alert of the same key is `seen`, whatever that alert's state.
   */
  raise(draft: AlertDraft, id: string, at: string): Promise<Raised>
  findAlert(id: string): Promise<Alert | undefined>
  /** Newest first; `states` narrows them (default: every state). */
  listAlerts(options: { states?: readonly AlertState[]; limit: number }): Promise<Alert[]>
  /**
   * Acknowledges an open alert; an alert acknowledged or resolved already is left as it is.
   * Returns the alert as it is afterwards, or undefined when there is no such alert.
   */
  acknowledgeAlert(id: string, at: string, by: string): Promise<Alert | undefined>
  /** Resolves an alert that is not resolved yet, as acknowledgeAlert does. */
  resolveAlert(id: string, at: string, by: string): Promise<Alert | undefined>
}
