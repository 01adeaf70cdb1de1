/**
 * What an operator does with an alert: acknowledge it (someone is on it) or resolve it. Each
 * change is an event in the trail naming who made it (`token:<id>`, `cli:<user>@<host>`), so the
 * trail shows who knew what when. Both are idempotent: repeating one changes and records nothing.
 */
import { type Alert, ERR_ALERT_NOT_FOUND, ERR_ALERT_RESOLVED, type AlertRule, type TradetrailError, formatMicros, isOneLineReason } from '@tradetrail/core'
import type { Trail } from '../trail/open-trail.ts'

/** Makes the error for a bad field in the caller's words (HTTP field or CLI flag). */
export type AlertFail = (field: string, rule: AlertRule, value?: string) => TradetrailError

type AlertTrail = Pick<Trail, 'alerts' | 'clock' | 'record'>

function checkNote(note: string | undefined, fail: AlertFail): void {
  if (note !== undefined && !isOneLineReason(note)) throw fail('note', 'note', note)
}

async function existing(trail: AlertTrail, id: string): Promise<Alert> {
  const alert = await trail.alerts.findAlert(id)
  if (alert === undefined) throw ERR_ALERT_NOT_FOUND.create(id)
  return alert
}

const why = (note: string | undefined): string => (note === undefined ? '' : `: ${note}`)

/** Acknowledges an open alert; refuses a resolved one (TT_ERR_ALERT_RESOLVED). */
export async function acknowledgeAlert(trail: AlertTrail, id: string, by: string, note: string | undefined, fail: AlertFail): Promise<Alert> {
  checkNote(note, fail)
  const alert = await existing(trail, id)
  if (alert.state === 'resolved') throw ERR_ALERT_RESOLVED.create(alert.id, alert.resolved_at!, alert.resolved_by!)
  if (alert.state === 'acknowledged') return alert
  const acknowledged = (await trail.alerts.acknowledgeAlert(id, formatMicros(trail.clock.nowMicros()), by))!
  await trail.record('alert_acknowledged', `Alert ${id} (${alert.rule}) acknowledged by ${by}${why(note)}`,
    { id, rule: alert.rule, title: alert.title, seq: alert.seq, by, note: note ?? null }, 'notice')
  return acknowledged
}

/** Resolves an alert that is not resolved yet. */
export async function resolveAlert(trail: AlertTrail, id: string, by: string, note: string | undefined, fail: AlertFail): Promise<Alert> {
  checkNote(note, fail)
  const alert = await existing(trail, id)
  if (alert.state === 'resolved') return alert
  const resolved = (await trail.alerts.resolveAlert(id, formatMicros(trail.clock.nowMicros()), by))!
  await trail.record('alert_resolved', `Alert ${id} (${alert.rule}) resolved by ${by}${why(note)}`,
    { id, rule: alert.rule, title: alert.title, seq: alert.seq, count: alert.count, by, note: note ?? null }, 'notice')
  return resolved
}
