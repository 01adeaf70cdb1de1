/**
 * `tradetrail import`: reads the files the seed systems wrote, line by line, into the
 * trail. Recognised lines:
 *   - seed 000's text log:   [2025-12-17T21:00:03Z] Auto-repair: Created database 'quantum'
 *   - seed 003's JSONL sink: {"ts", "event_id", "event_type", "priority", "source", "data", "metadata", "timestamp_ns"},
 *     and the SDK's `seed003` format, which adds "project", "message" and "actor"
 *   - Tradetrail's own JSONL (the FileSink, `export --format jsonl`): events in wire format
 * Ids are derived from the line when the line has none, so importing a file twice
 * stores nothing twice.
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import {
  type AppendResult, ERR_IMPORT_INVALID, type PreparedEvent, type Problem, SERVER_FIELDS,
  derivedUuidv7, fileError, formatNanos, prepareEvent, timestampKey, timestampMillis,
} from '@tradetrail/core'

export interface ImportOptions {
  path: string
  /** Appends a batch durably (Trail.submit). */
  append: (batch: readonly PreparedEvent[]) => Promise<AppendResult>
  /** Project for lines that name none (default `imported`). */
  project?: string
  /** All or nothing: any bad line imports nothing. */
  strict?: boolean
  nowMicros: number
  batchSize?: number
}

export interface ImportLineError {
  line: number
  message: string
}

export interface ImportResult {
  lines: number
  accepted: number
  duplicates: number
  errors: ImportLineError[]
}

const MAX_NANOS = 253402300800n * 1_000_000_000n
const TEXT_LINE = /^\[([^\]]+)\]\s?(.*)$/s
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$/
const PRIORITY_SEVERITY: Record<string, string> = {
  CRITICAL: 'critical', FATAL: 'critical', HIGH: 'error', ERROR: 'error', MEDIUM: 'warning', WARNING: 'warning', WARN: 'warning',
  NOTICE: 'notice', LOW: 'info', INFO: 'info', DEBUG: 'debug', TRACE: 'debug',
}
/** seed 000's integration points, recognised by the message prefix. */
const TEXT_PREFIXES: Array<[RegExp, string, string]> = [
  [/^auto-repair:/i, 'auto_repair', 'auto_repair_system'],
  [/^weekly self-heal:/i, 'self_heal', 'weekly_self_heal'],
  [/^real-?time monitor:/i, 'auto_repair', 'realtime_monitor'],
]

/** Turns one line into an event in wire format; a string is the reason it cannot. */
export function parseImportLine(line: string, project: string, occurrence: number): Record<string, unknown> | string {
  const text = line.trim()
  if (text.startsWith('{')) {
    let record: unknown
    try {
      record = JSON.parse(text)
    } catch (error) {
      return `not valid JSON: ${(error as Error).message}`
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record)) return 'a JSON line must hold an object'
    const r = record as Record<string, unknown>
    if ('event_type' in r) return fromRiskSink(r, text, project, occurrence)
    if ('message' in r) return fromWireEvent(r, text, occurrence)
    return 'a JSON line must be a Tradetrail event (with "message") or a risk audit record (with "event_type")'
  }
  const m = TEXT_LINE.exec(text)
  if (m === null) return 'expected "[2025-12-17T21:00:03Z] message", a Tradetrail JSON event or a risk audit JSON record'
  const [, ts, message] = m as unknown as [string, string, string]
  if (timestampKey(ts) === undefined) return `"${ts.slice(0, 40)}" is not an RFC 3339 UTC timestamp`
  const event: Record<string, unknown> = {
    id: derivedId(ts, `${project}\n${text}`, occurrence), ts, project, message,
    severity: /\b(FAILED|FAILURE|ERROR|CRITICAL)\b/i.test(message) ? 'error' : /\bWARN(ING)?\b/i.test(message) ? 'warning' : 'info',
  }
  const known = TEXT_PREFIXES.find(([re]) => re.test(message))
  if (known) {
    event.type = known[1]
    event.source = known[2]
  }
  return event
}

function fromRiskSink(r: Record<string, unknown>, text: string, project: string, occurrence: number): Record<string, unknown> | string {
  // timestamp_ns exceeds 2^53: take its digits from the text, JSON.parse has rounded them.
  const ns = /"timestamp_ns"\s*:\s*"?(\d{1,20})"?/.exec(text)?.[1]
  if (ns !== undefined && BigInt(ns) >= MAX_NANOS) return `"timestamp_ns" ${ns} is beyond the year 9999`
  const fromNs = ns !== undefined ? formatNanos(BigInt(ns)) : r.ts
  if (typeof fromNs !== 'string') return 'a risk audit record needs "ts" or "timestamp_ns"'
  // A "ts" that says the same instant (the SDK's seed003 format writes the event's own) is kept as written.
  const ts = typeof r.ts === 'string' && timestampKey(r.ts) !== undefined && timestampKey(r.ts) === timestampKey(fromNs) ? r.ts : fromNs
  const eventType = String(r.event_type)
  const type = eventType.toLowerCase().replace(/[^a-z0-9_.:-]/g, '_').replace(/^[^a-z]+/, '') || 'unclassified_event'
  const severity = typeof r.priority === 'string' ? PRIORITY_SEVERITY[r.priority.toUpperCase()] ?? 'info' : 'info'
  const data = r.data
  const described = typeof r.message === 'string' ? r.message : typeof data === 'object' && data !== null && typeof (data as Record<string, unknown>).message === 'string'
    ? (data as Record<string, string>).message
    : `${eventType}${typeof r.source === 'string' ? ` from ${r.source}` : ''}`
  const event: Record<string, unknown> = {
    id: typeof r.event_id === 'string' && UUID.test(r.event_id) ? r.event_id.toLowerCase() : derivedId(ts, text, occurrence),
    ts, project: typeof r.project === 'string' ? r.project : project, type, severity, message: described,
  }
  if (r.source != null) event.source = r.source
  if (r.actor != null) event.actor = r.actor
  if (data != null) event.data = data
  if (r.metadata != null) event.metadata = r.metadata
  return event
}

function fromWireEvent(r: Record<string, unknown>, text: string, occurrence: number): Record<string, unknown> {
  const event: Record<string, unknown> = {}
  for (const key in r) if (!SERVER_FIELDS.has(key)) event[key] = r[key]
  if (event.id === undefined && typeof event.ts === 'string') event.id = derivedId(event.ts, text, occurrence)
  return event
}

function derivedId(ts: string, text: string, occurrence: number): string {
  const ms = timestampKey(ts) !== undefined ? timestampMillis(ts) : 0
  return derivedUuidv7(ms, createHash('sha256').update(`${occurrence}\n${text}`).digest())
}

/** Imports a file; bad lines are reported with their number and (unless strict) skipped. */
export async function importFile(options: ImportOptions): Promise<ImportResult> {
  const project = options.project ?? 'imported'
  const batchSize = options.batchSize ?? 1000
  const result: ImportResult = { lines: 0, accepted: 0, duplicates: 0, errors: [] }
  const seen = new Map<string, number>()
  let batch: PreparedEvent[] = []
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return
    const appended = await options.append(batch)
    result.accepted += appended.accepted
    result.duplicates += appended.duplicates
    batch = []
  }
  const input = createReadStream(options.path, { encoding: 'utf8' })
  // An OS failure of the file (missing, a directory, unreadable, an I/O error) gets its TT_ERR_FILE_* code, at open or while reading.
  let readError: unknown
  const opened = new Promise<void>((resolve, reject) => {
    input.once('open', () => resolve())
    input.on('error', (error) => {
      readError = error
      reject(error)
    })
  })
  const problems: Problem[] = []
  try {
    await opened
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      result.lines++
      if (line.trim() === '') continue
      const occurrence = (seen.get(line) ?? 0) + 1
      seen.set(line, occurrence)
      const raw = parseImportLine(line, project, occurrence)
      if (typeof raw === 'string') {
        result.errors.push({ line: result.lines, message: raw })
        continue
      }
      problems.length = 0
      const event = prepareEvent(raw, 0, options.nowMicros, problems)
      if (event === undefined) {
        result.errors.push({ line: result.lines, message: problems.map((p) => `${p.message} (${p.code})`).join('; ') })
        continue
      }
      batch.push(event)
      if (!options.strict && batch.length >= batchSize) await flush()
    }
  } catch (error) {
    throw error === readError ? fileError(error, 'read', options.path) ?? error : error
  }
  if (options.strict && result.errors.length > 0) {
    const first = result.errors[0]!
    throw ERR_IMPORT_INVALID.create(options.path, result.errors.length, `line ${first.line}: ${first.message}`)
  }
  await flush() // strict: the whole file in one atomic append
  return result
}
