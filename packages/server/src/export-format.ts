/** Line formats for `export` (CSV, JSONL) and seed 002's dump, one event at a time so any size streams. */
import { type StoredEvent, timestampMillis } from '@tradetrail/core'

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const
export type ExportFormat = (typeof EXPORT_FORMATS)[number]

const CSV_COLUMNS = ['seq', 'id', 'ts', 'received_at', 'project', 'type', 'severity', 'message', 'source', 'actor', 'data', 'metadata', 'flags', 'hash'] as const

export const CSV_HEADER = CSV_COLUMNS.join(',') + '\r\n'

/** RFC 4180: quote when needed, double the quotes. Values are written as stored, never altered. */
function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value
}

export function csvRow(e: StoredEvent): string {
  return [
    String(e.seq), e.id, e.ts, e.received_at, e.project, e.type, e.severity, csvCell(e.message), csvCell(e.source ?? ''),
    csvCell(e.actor ?? ''), csvCell(e.data ? JSON.stringify(e.data) : ''), csvCell(e.metadata ? JSON.stringify(e.metadata) : ''),
    e.flags?.join(';') ?? '', e.hash,
  ].join(',') + '\r\n'
}

export function jsonLine(e: StoredEvent): string {
  return JSON.stringify(e) + '\n'
}

/** Seed 002's `dumped_audit_trails.json` record: its field names, data fields at the top level. */
export function dumpRecord(e: StoredEvent): Record<string, unknown> {
  const record: Record<string, unknown> = {}
  if (e.data) Object.assign(record, e.data)
  Object.assign(record, {
    event_type: e.type,
    event_description: e.message,
    timestamp: timestampMillis(e.ts) / 1000,
    project_name: e.project,
    id: e.id,
    seq: e.seq,
    ts: e.ts,
    severity: e.severity,
  })
  if (e.source !== undefined) record.source = e.source
  if (e.actor !== undefined) record.actor = e.actor
  if (e.metadata !== undefined) record.metadata = e.metadata
  return record
}
