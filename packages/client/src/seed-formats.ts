/**
 * The FileSink's line formats besides its own JSONL (wire format v1, `jsonl`), for systems
 * whose tools read a seed's file (docs/client.md, "Formats"); `tradetrail import` reads each back:
 *   - `text`, seed 000's `[2025-12-17T21:00:03Z] message`: the time to the second and the
 *     message only. An event the line cannot hold as it is (a message with a line break, or
 *     with spaces at either end, which import trims) is written as a `jsonl` line instead, so
 *     nothing is lost.
 *   - `seed003`, seed 003's record: `ts`, `event_id`, `event_type` (the type upper-cased),
 *     `priority` (the severity upper-cased), `source`, `data`, `metadata`, `timestamp_ns`,
 *     then what seed 003 had no field for: `project`, `message`, `actor`. Every file opened
 *     starts with an `audit_log_initialized` record ("Audit log file initialized").
 */
import { hostname } from 'node:os'
import { formatMicros, systemClock, timestampKey, uuidv7 } from '@tradetrail/core'

export const FILE_FORMATS = ['jsonl', 'text', 'seed003'] as const
export type FileFormat = (typeof FILE_FORMATS)[number]

/** Where each format's file goes when neither the option nor the environment names a path. */
export const DEFAULT_PATHS: Readonly<Record<FileFormat, string>> = {
  jsonl: 'logs/tradetrail-audit.jsonl',
  text: 'logs/tradetrail-audit.log',
  // Seed 003's EnhancedJsonAuditSink default.
  seed003: 'logs/risk_audit.jsonl',
}

/** Nanoseconds since the epoch of a valid RFC 3339 UTC string, as decimal digits. */
function nanosDigits(ts: string): string {
  const key = timestampKey(ts)!
  const seconds = BigInt(Date.parse(key.slice(0, 19) + 'Z') / 1000)
  return String(seconds * 1_000_000_000n + BigInt(key.slice(20, 29)))
}

function seed003Line(event: Record<string, unknown>): string {
  const record: Record<string, unknown> = {
    ts: event.ts, event_id: event.id, event_type: String(event.type).toUpperCase(), priority: String(event.severity).toUpperCase(),
    source: event.source ?? null, data: event.data ?? null, metadata: event.metadata ?? null,
  }
  const rest: Record<string, unknown> = { project: event.project, message: event.message }
  if (event.actor !== undefined) rest.actor = event.actor
  // timestamp_ns passes 2^53: written as digits, never through a double.
  return `${JSON.stringify(record).slice(0, -1)},"timestamp_ns":${nanosDigits(String(event.ts))},${JSON.stringify(rest).slice(1)}`
}

/** `line` (one event in wire format v1, as the collector would take it) in `format`. */
export function formatLine(format: FileFormat, line: string): string {
  if (format === 'jsonl') return line
  const event = JSON.parse(line) as Record<string, unknown>
  if (format === 'seed003') return seed003Line(event)
  const message = String(event.message)
  if (/[\r\n\u2028\u2029\u0085]/.test(message) || message.trim() !== message) return line
  return `[${timestampKey(String(event.ts))!.slice(0, 19)}Z] ${message}`
}

/** The record a `seed003` file starts with each time the sink opens it. */
export function initializedLine(project: string, path: string): string {
  const micros = systemClock.nowMicros()
  return seed003Line({
    id: uuidv7(Math.floor(micros / 1000)), ts: formatMicros(micros), project, type: 'audit_log_initialized', severity: 'info',
    message: 'Audit log file initialized', source: 'FileSink', data: { path },
    metadata: { host: hostname(), pid: process.pid, runtime: `node ${process.version}` },
  })
}
