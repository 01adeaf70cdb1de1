/**
 * Legal holds, the same from the CLI and the HTTP API: a hold on a project or on a time range
 * keeps retention from removing the events it covers until it is released (retention.ts asks
 * which). Placing and releasing are recorded in the trail under project `tradetrail`
 * (`legal_hold_placed`, `legal_hold_released`, with who), and the holds are kept in the trail's
 * database, so they outlive every process.
 */
import { randomBytes } from 'node:crypto'
import {
  type Clock, ERR_HOLD_NOT_FOUND, ERR_HOLD_RELEASED, type HoldRule, type LegalHold, PROJECT_PATTERN, type TradetrailError, formatMicros,
  isOneLineReason, timestampKey,
} from '@tradetrail/core'
import type { Trail } from './trail/open-trail.ts'

/** A hold as asked for: `project`, or `from` and `to` (RFC 3339 UTC times or dates), and always `reason`. */
export interface HoldRequest {
  project?: string
  from?: string
  to?: string
  reason?: string
}

/** Makes the error for a bad field, named the way the caller spells it (`from` or `--from`). */
export type HoldFail = (field: keyof HoldRequest, rule: HoldRule, value?: string) => TradetrailError

type HoldTrail = Pick<Trail, 'holds' | 'record' | 'clock'>

const PROJECT = new RegExp(PROJECT_PATTERN)
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/** A time of a range hold as a timestamp key: a date means its midnight UTC. */
function timeKey(value: string): string | undefined {
  return timestampKey(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value)
}

function checkedReason(reason: string | undefined, fail: HoldFail): string {
  if (reason === undefined || !isOneLineReason(reason)) throw fail('reason', 'reason', reason)
  return reason
}

/** Places the hold `request` describes and records it; `by` is who asks (`token:<id>`, `cli:<user>@<host>`). */
export async function placeHold(trail: HoldTrail, request: HoldRequest, by: string, fail: HoldFail): Promise<LegalHold> {
  const { project, from, to } = request
  const range = from !== undefined || to !== undefined
  if ((project !== undefined) === range) throw fail('project', 'kind')
  if (project !== undefined && !PROJECT.test(project)) throw fail('project', 'project', project)
  const key = (field: 'from' | 'to', value: string | undefined): string | null => {
    if (!range) return null
    if (value === undefined) throw fail(field, 'range')
    const k = timeKey(value)
    if (k === undefined) throw fail(field, 'time', value)
    return k
  }
  const fromKey = key('from', from)
  const toKey = key('to', to)
  if (fromKey !== null && toKey! <= fromKey) throw fail('to', 'order', to)
  const hold: LegalHold = {
    id: randomBytes(6).toString('hex'), project: project ?? null, from: fromKey, to: toKey, reason: checkedReason(request.reason, fail),
    placed_at: formatMicros(trail.clock.nowMicros()), placed_by: by, released_at: null, released_by: null, release_reason: null,
  }
  await trail.holds.placeHold(hold)
  await trail.record('legal_hold_placed', `Legal hold ${hold.id} placed on ${covers(hold)}: ${hold.reason}`, { ...hold })
  return hold
}

/** Releases hold `id` and records it; TT_ERR_HOLD_NOT_FOUND, or TT_ERR_HOLD_RELEASED when it was released already. */
export async function releaseHold(trail: HoldTrail, id: string, reason: string | undefined, by: string, fail: HoldFail): Promise<LegalHold> {
  const why = checkedReason(reason, fail)
  const at = formatMicros(trail.clock.nowMicros())
  const hold = await trail.holds.releaseHold(id, at, by, why)
  if (hold === undefined) throw ERR_HOLD_NOT_FOUND.create(id)
  if (hold.released_at !== at || hold.released_by !== by) throw ERR_HOLD_RELEASED.create(id, hold.released_at!)
  await trail.record('legal_hold_released', `Legal hold ${hold.id} on ${covers(hold)} released: ${why}`, { ...hold })
  return hold
}

/** What a hold covers, in words: `project AlphaBot`, `events from … to …`. */
export function covers(hold: LegalHold): string {
  return hold.project !== null ? `project ${hold.project}` : `events stamped or received from ${hold.from} to ${hold.to}`
}
