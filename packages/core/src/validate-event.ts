/**
 * Validation of producer events, once, at the edge. Written by hand against
 * EventInputSchema (event.ts) because it must report every problem of a batch with
 * its path and a stable code, and because it runs per event on the ingest path;
 * test/validate-event.test.ts checks that it accepts exactly what the schema accepts.
 */
import { CanonicalJsonError, canonicalize } from './canonical-json.ts'
import {
  ERR_BATCH_EMPTY, ERR_BATCH_TOO_LARGE, ERR_EVENT_BAD_STRING, ERR_EVENT_BAD_TIMESTAMP, ERR_EVENT_BAD_VALUE,
  ERR_EVENT_INVALID, ERR_EVENT_MISSING_FIELD, ERR_EVENT_NOT_OBJECT, ERR_EVENT_SERVER_FIELD, ERR_EVENT_TOO_LARGE,
  ERR_EVENT_UNKNOWN_FIELD, ERR_EVENT_WRONG_TYPE, type ErrorDefinition, type Problem,
} from './errors.ts'
import {
  DEFAULT_EVENT_TYPE, DEFAULT_SEVERITY, LIMITS, type NormalizedEvent, PROJECT_PATTERN, SERVER_FIELDS, SEVERITIES, type Severity,
  TYPE_PATTERN, UUID_PATTERN,
} from './event.ts'
import { formatMicros, timestampKey } from './timestamp.ts'
import { uuidv7 } from './uuidv7.ts'

/** A valid event in the form the stores write: defaults filled, JSON objects in canonical text. */
export interface PreparedEvent extends Omit<NormalizedEvent, 'data' | 'metadata'> {
  /** Sortable form of `ts` (timestamp.ts). */
  tsKey: string
  dataJson?: string
  metadataJson?: string
  /** Server-set flags, sorted; set by the collector, never taken from input. */
  flags?: string[]
}

export interface ValidateOptions {
  /** Time to stamp on events without `ts`, and to derive ids from, in µs since the epoch. */
  nowMicros: number
  /** Largest batch accepted. */
  maxEvents?: number
}

const PROJECT_RE = new RegExp(PROJECT_PATTERN)
const TYPE_RE = new RegExp(TYPE_PATTERN)
const UUID_RE = new RegExp(UUID_PATTERN)
const SEVERITY_SET: ReadonlySet<string> = new Set(SEVERITIES)
const SEVERITY_LIST = SEVERITIES.join(', ')

/**
 * Validates a batch and prepares it for the store. A batch is valid only whole: any
 * problem throws TT_ERR_EVENT_INVALID listing every problem with the event's index.
 */
export function validateBatch(raw: unknown, options: ValidateOptions): PreparedEvent[] {
  if (!Array.isArray(raw)) throw ERR_EVENT_INVALID.withProblems([{ path: '', code: ERR_EVENT_WRONG_TYPE.code, message: 'the body must be a JSON array of events, or NDJSON' }], 1, 'the body must be a JSON array of events, or NDJSON')
  if (raw.length === 0) throw ERR_BATCH_EMPTY.create()
  const max = options.maxEvents ?? Infinity
  if (raw.length > max) throw ERR_BATCH_TOO_LARGE.create(raw.length, max)
  const problems: Problem[] = []
  const prepared: PreparedEvent[] = new Array(raw.length)
  for (let i = 0; i < raw.length; i++) {
    const event = prepareEvent(raw[i], i, options.nowMicros, problems)
    if (event !== undefined) prepared[i] = event
  }
  if (problems.length > 0) {
    const first = problems[0]!
    throw ERR_EVENT_INVALID.withProblems(problems, problems.length, `event ${first.index}: ${first.message} (${first.code})`)
  }
  return prepared
}

/** Validates one event; pushes its problems (with `index`) and returns undefined when it is invalid. */
export function prepareEvent(raw: unknown, index: number, nowMicros: number, problems: Problem[]): PreparedEvent | undefined {
  const before = problems.length
  const at: Where = { index, problems }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    report(at, ERR_EVENT_NOT_OBJECT, '')
    return undefined
  }
  const input = raw as Record<string, unknown>
  let id: string | undefined, ts: string | undefined, tsKey: string | undefined, project: string | undefined
  let type = DEFAULT_EVENT_TYPE as string, severity: Severity = DEFAULT_SEVERITY, message: string | undefined
  let source: string | undefined, actor: string | undefined, dataJson: string | undefined, metadataJson: string | undefined

  for (const key in input) {
    const value = input[key]
    switch (key) {
      case 'id':
        if ((id = str(at, key, value)) !== undefined && !UUID_RE.test(id)) {
          report(at, ERR_EVENT_BAD_VALUE, '/id', 'id', 'must be a lower-case UUID such as 0190b6a2-3c4d-7e5f-8a6b-7c8d9e0f1a2b (version 7 recommended)')
        }
        break
      case 'ts':
        if ((ts = str(at, key, value)) !== undefined && (tsKey = timestampKey(ts)) === undefined) report(at, ERR_EVENT_BAD_TIMESTAMP, '/ts', 'ts', ts)
        break
      case 'project':
        if ((project = str(at, key, value)) !== undefined && !PROJECT_RE.test(project)) {
          report(at, ERR_EVENT_BAD_VALUE, '/project', 'project', 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." and "-"')
        }
        break
      case 'type': {
        const t = str(at, key, value)
        if (t !== undefined) {
          if (TYPE_RE.test(t)) type = t
          else report(at, ERR_EVENT_BAD_VALUE, '/type', 'type', 'must start with a lower-case letter, then up to 63 of a-z, 0-9, "_", ".", ":" and "-" (e.g. trade_opened)')
        }
        break
      }
      case 'severity': {
        const s = str(at, key, value)
        if (s !== undefined) {
          if (SEVERITY_SET.has(s)) severity = s as Severity
          else report(at, ERR_EVENT_BAD_VALUE, '/severity', 'severity', `must be one of ${SEVERITY_LIST}`)
        }
        break
      }
      case 'message':
        if ((message = str(at, key, value)) !== undefined && message.length * 3 > LIMITS.messageBytes) {
          const bytes = Buffer.byteLength(message)
          if (bytes > LIMITS.messageBytes) report(at, ERR_EVENT_TOO_LARGE, '/message', 'message', LIMITS.messageBytes, bytes)
        }
        break
      case 'source':
      case 'actor': {
        const label = str(at, key, value)
        if (label !== undefined) {
          if (isLabelTooLong(label)) report(at, ERR_EVENT_BAD_VALUE, '/' + key, key, `must be at most ${LIMITS.labelChars} characters`)
          else if (key === 'source') source = label
          else actor = label
        }
        break
      }
      case 'data':
        dataJson = obj(at, key, value, LIMITS.dataBytes)
        break
      case 'metadata':
        metadataJson = obj(at, key, value, LIMITS.metadataBytes)
        break
      default:
        if (SERVER_FIELDS.has(key)) report(at, ERR_EVENT_SERVER_FIELD, '/' + key, key)
        else report(at, ERR_EVENT_UNKNOWN_FIELD, '/' + escapeKey(key), key.slice(0, 64))
    }
  }
  if (!('project' in input)) report(at, ERR_EVENT_MISSING_FIELD, '/project', 'project')
  if (!('message' in input)) report(at, ERR_EVENT_MISSING_FIELD, '/message', 'message')
  if (problems.length > before) return undefined

  if (ts === undefined) [ts, tsKey] = defaultTimestamp(nowMicros)
  const event: PreparedEvent = {
    id: id ?? uuidv7(Math.floor(nowMicros / 1000)),
    ts,
    tsKey: tsKey!,
    project: project!,
    type,
    severity,
    message: message!,
  }
  if (source !== undefined) event.source = source
  if (actor !== undefined) event.actor = actor
  if (dataJson !== undefined) event.dataJson = dataJson
  if (metadataJson !== undefined) event.metadataJson = metadataJson
  return event
}

/** Where problems go: the event's index in the batch and the batch's list. */
interface Where {
  index: number
  problems: Problem[]
}

// Module-level rather than closures in prepareEvent: this runs per event, and a closure per
// call (each also wrapped by the loader's keep-names helper) cost a third of validation.
function report<A extends unknown[]>(at: Where, def: ErrorDefinition<A>, path: string, ...args: A): void {
  at.problems.push({ index: at.index, path, code: def.code, message: def.create(...args).message })
}

function str(at: Where, key: string, value: unknown): string | undefined {
  if (typeof value === 'string') {
    if (value.isWellFormed()) return value
    report(at, ERR_EVENT_BAD_STRING, '/' + key, key)
  } else {
    report(at, ERR_EVENT_WRONG_TYPE, '/' + key, key, 'a string')
  }
  return undefined
}

/** Canonical JSON text of an object field, within its byte limit. */
function obj(at: Where, key: string, value: unknown, limit: number): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    report(at, ERR_EVENT_WRONG_TYPE, '/' + key, key, 'a JSON object')
    return undefined
  }
  let text: string
  try {
    text = canonicalize(value)
  } catch (error) {
    if (!(error instanceof CanonicalJsonError)) throw error
    report(at, ERR_EVENT_BAD_VALUE, '/' + key + error.path, key + error.path, error.reason)
    return undefined
  }
  // Canonical text is ASCII-heavy; count UTF-8 bytes only when it could matter.
  const bytes = text.length * 3 > limit ? Buffer.byteLength(text) : text.length
  if (bytes > limit) {
    report(at, ERR_EVENT_TOO_LARGE, '/' + key, key, limit, bytes)
    return undefined
  }
  return text
}

let lastDefault: [number, string, string] = [-1, '', '']

/** `ts` and its key for events sent without one; a batch shares one `nowMicros`, so this is computed once. */
function defaultTimestamp(nowMicros: number): [string, string] {
  if (lastDefault[0] !== nowMicros) {
    const ts = formatMicros(nowMicros)
    lastDefault = [nowMicros, ts, timestampKey(ts)!]
  }
  return [lastDefault[1], lastDefault[2]]
}

/**
 * Whether a `source` or `actor` is over LIMITS.labelChars characters, counted as code points
 * (as JSON Schema's maxLength counts them); only long strings pay for the count.
 */
export function isLabelTooLong(label: string): boolean {
  if (label.length <= LIMITS.labelChars) return false
  let n = 0
  for (const _ of label) if (++n > LIMITS.labelChars) return true
  return false
}

function escapeKey(key: string): string {
  return key.slice(0, 64).replaceAll('~', '~0').replaceAll('/', '~1')
}
