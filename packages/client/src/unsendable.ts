/** The AUDIT_EMERGENCY text of an event that could not be encoded, so a person can still recover it. */
import type { TradetrailError } from '@tradetrail/core'
import { type EventDefaults, type EventRecord, encodeEvent } from './event-record.ts'

function printable(value: unknown): string {
  try {
    return typeof value === 'string' ? value : String(value)
  } catch {
    return '[unprintable]'
  }
}

/** What can be said of `record`, refused with `error`, as one line of JSON. */
export function unsendable(record: EventRecord, project: string, error: TradetrailError): string {
  return JSON.stringify({
    project, type: printable(record.type), message: printable(record.message), ts_us: record.micros,
    data: typeof record.data === 'string' ? record.data : undefined, error: { code: error.code, message: error.message },
  })
}

/** The AUDIT_EMERGENCY text of an event given up: the whole event when it encodes, else what can be said of it. */
export function emergencyText(record: EventRecord, defaults: EventDefaults): string {
  const line = encodeEvent(record, defaults)
  return typeof line === 'string' ? line : unsendable(record, defaults.project, line)
}
