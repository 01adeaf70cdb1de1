/** Line formats for `export` (CSV, JSONL), one event at a time so any size streams; the dashboard's export writes the same. */
import type { StoredEvent } from './event.ts'

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
