/**
 * The one piece of per-event work every sink shares: `recordEvent` runs on the caller's
 * path (stamp the time, snapshot `data` and `metadata` as JSON text so later changes to the
 * caller's objects do not change what was recorded); `encodeEvent` runs later, off that
 * path, and turns a record into one line of wire-format v1 JSON.
 */
import {
  DEFAULT_EVENT_TYPE, DEFAULT_SEVERITY, ERR_EVENT_BAD_TIMESTAMP, ERR_EVENT_BAD_VALUE, ERR_EVENT_TOO_LARGE, ERR_EVENT_WRONG_TYPE,
  LIMITS, SEVERITIES, TYPE_PATTERN, type TradetrailError, UUID_PATTERN, formatMicros, isLabelTooLong, systemClock, timestampKey, uuidv7,
} from '@tradetrail/core'

/** Per-event options of `send()`. */
export interface SendOptions {
  /** `debug`, `info` (default), `notice`, `warning`, `error` or `critical`. */
  severity?: string
  /** The component that emitted it (`FeedStalenessCalculator`); defaults to the client's `source`. */
  source?: string
  /** The user or bot identity that acted; defaults to the client's `actor`. */
  actor?: string
  /** Technical context (latency, host, version); merged over the client's `metadata`. */
  metadata?: Record<string, unknown>
  /** Your own idempotency key (a UUID); by default a UUIDv7 is made when the event is batched. */
  id?: string
  /** When it happened, RFC 3339 UTC; by default the time of the call. */
  ts?: string
}

/** An event as queued by `send()`: nothing here has been validated yet. */
export interface EventRecord {
  micros: number
  type: unknown
  message: unknown
  /** JSON text of `data`, or an Error when it could not be serialised. */
  data: string | Error | undefined
  options: SendOptions | undefined
  /** JSON text of `options.metadata`, or an Error when it could not be serialised. */
  metadata: string | Error | undefined
}

/** What every event of one sink shares. */
export interface EventDefaults {
  project: string
  source?: string | undefined
  actor?: string | undefined
  /** JSON text of an object, merged under each event's own metadata. */
  metadata?: Record<string, unknown> | undefined
}

function snapshot(value: unknown): string | Error | undefined {
  if (value === undefined || value === null) return undefined
  try {
    if (typeof value !== 'object' || Array.isArray(value)) return new TypeError('must be a JSON object')
    const json = JSON.stringify(value)
    // A toJSON (a Date, say) can turn an object into something else.
    return json.charCodeAt(0) === 123 ? json : new TypeError('must serialise to a JSON object')
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  }
}

/**
 * The caller's part of `send()`: cheap, and it never throws except when `options` is hostile
 * (a getter or Proxy trap that throws), which the callers catch. Options are copied now, so a
 * caller that reuses its options object cannot change an event already sent.
 */
export function recordEvent(type: unknown, message: unknown, data: unknown, options: unknown): EventRecord {
  let opts: SendOptions | undefined
  let metadata: string | Error | undefined
  if (typeof options === 'object' && options !== null) {
    const o = options as SendOptions
    opts = { severity: o.severity, source: o.source, actor: o.actor, id: o.id, ts: o.ts }
    metadata = snapshot(o.metadata)
  }
  return { micros: systemClock.nowMicros(), type, message, data: snapshot(data), options: opts, metadata }
}

const TYPE_RE = new RegExp(TYPE_PATTERN)
const UUID_RE = new RegExp(UUID_PATTERN)
const SEVERITY_SET: ReadonlySet<unknown> = new Set(SEVERITIES)
const knownTypes = new Set<unknown>()

function label(name: string, value: unknown, fallback: string | undefined): string | TradetrailError | undefined {
  if (value === undefined || value === null) return fallback
  if (typeof value !== 'string') return ERR_EVENT_WRONG_TYPE.create(name, 'a string')
  if (isLabelTooLong(value)) return ERR_EVENT_BAD_VALUE.create(name, `is longer than ${LIMITS.labelChars} characters`)
  return value
}

function tooLarge(field: string, json: string, limit: number): TradetrailError | undefined {
  // A UTF-8 byte is at least one UTF-16 unit and at most three: measure only when in doubt.
  if (json.length * 3 <= limit) return undefined
  const size = Buffer.byteLength(json)
  return size > limit ? ERR_EVENT_TOO_LARGE.create(field, limit, size) : undefined
}

function mergeMetadata(defaults: EventDefaults, own: string | undefined): string | undefined {
  if (defaults.metadata === undefined) return own
  if (own === undefined) return JSON.stringify(defaults.metadata)
  return JSON.stringify({ ...defaults.metadata, ...JSON.parse(own) as Record<string, unknown> })
}

/**
 * One line of wire-format JSON for `record`, or the error that makes it unsendable. The
 * checks are the cheap ones the collector would refuse a whole batch for; the collector's
 * full validation still runs, and an event it refuses is reported and left out alone.
 */
export function encodeEvent(record: EventRecord, defaults: EventDefaults): string | TradetrailError {
  try {
    return encode(record, defaults)
  } catch (error) {
    // Only hostile arguments get here: a Proxy or a getter that throws when read.
    return ERR_EVENT_BAD_VALUE.create('event', `could not be read (${messageText(error instanceof Error ? error.message : error)})`)
  }
}

function encode(record: EventRecord, defaults: EventDefaults): string | TradetrailError {
  const { options } = record
  const type = record.type ?? DEFAULT_EVENT_TYPE
  if (!knownTypes.has(type)) {
    if (typeof type !== 'string') return ERR_EVENT_WRONG_TYPE.create('type', 'a string')
    if (!TYPE_RE.test(type)) return ERR_EVENT_BAD_VALUE.create('type', `must match ${TYPE_PATTERN} (lower case, e.g. "trade_opened")`)
    if (knownTypes.size < 1024) knownTypes.add(type)
  }
  const severity = options?.severity ?? DEFAULT_SEVERITY
  if (!SEVERITY_SET.has(severity)) return ERR_EVENT_BAD_VALUE.create('severity', `must be one of ${SEVERITIES.join(', ')}`)
  const message = typeof record.message === 'string' ? record.message : messageText(record.message)
  const messageJson = JSON.stringify(message)
  const bigMessage = tooLarge('message', message, LIMITS.messageBytes)
  if (bigMessage) return bigMessage
  const source = label('source', options?.source, defaults.source)
  if (typeof source === 'object') return source
  const actor = label('actor', options?.actor, defaults.actor)
  if (typeof actor === 'object') return actor
  if (record.data instanceof Error) return ERR_EVENT_WRONG_TYPE.create('data', `a JSON object (${record.data.message})`)
  if (record.metadata instanceof Error) return ERR_EVENT_WRONG_TYPE.create('metadata', `a JSON object (${record.metadata.message})`)
  const bigData = record.data === undefined ? undefined : tooLarge('data', record.data, LIMITS.dataBytes)
  if (bigData) return bigData
  const metadata = mergeMetadata(defaults, record.metadata)
  const bigMetadata = metadata === undefined ? undefined : tooLarge('metadata', metadata, LIMITS.metadataBytes)
  if (bigMetadata) return bigMetadata

  if (options?.id !== undefined && (typeof options.id !== 'string' || !UUID_RE.test(options.id))) {
    return ERR_EVENT_BAD_VALUE.create('id', 'must be a lower-case UUID (version 7 preferred)')
  }
  if (options?.ts !== undefined && (typeof options.ts !== 'string' || timestampKey(options.ts) === undefined)) {
    return ERR_EVENT_BAD_TIMESTAMP.create('ts', String(options.ts))
  }
  const id = options?.id ?? uuidv7(Math.floor(record.micros / 1000))
  const ts = options?.ts ?? formatMicros(record.micros)
  let line = `{"id":${JSON.stringify(id)},"ts":${JSON.stringify(ts)},"project":${JSON.stringify(defaults.project)},"type":"${type as string}","severity":"${severity as string}","message":${messageJson}`
  if (source !== undefined) line += `,"source":${JSON.stringify(source)}`
  if (actor !== undefined) line += `,"actor":${JSON.stringify(actor)}`
  if (record.data !== undefined) line += `,"data":${record.data}`
  if (metadata !== undefined) line += `,"metadata":${metadata}`
  return line + '}'
}

function messageText(message: unknown): string {
  if (message === undefined || message === null) return ''
  try {
    return String(message)
  } catch {
    return '[unprintable]'
  }
}
