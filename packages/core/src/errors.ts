/**
 * The one error registry. Every error Tradetrail reports has a stable code
 * (`TT_ERR_<AREA>_<WHAT>`), an HTTP status and a message that says what to fix.
 * Codes are never reused or renamed: clients and alert rules match on them (the few renamed
 * in 0.2 are listed in docs/api.md). A template writes its sentence once and takes only data
 * (a field name, a value, a limit), never a sentence from the caller.
 */

/** One problem found in one event of a batch. */
export interface Problem {
  /** Index of the event in the batch (absent for problems with the batch itself). */
  index?: number
  /** JSON pointer to the offending field, e.g. `/data` or `/severity`. */
  path: string
  code: string
  message: string
}

/** Base class of every error Tradetrail throws on purpose. */
export class TradetrailError extends Error {
  readonly code: string
  readonly statusCode: number
  readonly problems: Problem[] | undefined

  constructor(code: string, statusCode: number, message: string, problems?: Problem[]) {
    super(message)
    this.name = 'TradetrailError'
    this.code = code
    this.statusCode = statusCode
    this.problems = problems
  }

  toJSON(): { code: string; message: string; problems?: Problem[] } {
    return this.problems ? { code: this.code, message: this.message, problems: this.problems } : { code: this.code, message: this.message }
  }
}

type Template<A extends unknown[]> = (...args: A) => string

/** A registered error: call `create(...)` to get a throwable instance. */
export interface ErrorDefinition<A extends unknown[]> {
  readonly code: string
  readonly statusCode: number
  create(...args: A): TradetrailError
  /** Like `create`, with the problems that make up the error attached. */
  withProblems(problems: Problem[], ...args: A): TradetrailError
  is(error: unknown): error is TradetrailError
}

const registry = new Map<string, ErrorDefinition<never>>()

function define<A extends unknown[]>(code: string, statusCode: number, template: Template<A>): ErrorDefinition<A> {
  if (registry.has(code)) throw new Error(`error code ${code} registered twice`)
  const definition: ErrorDefinition<A> = {
    code,
    statusCode,
    create: (...args) => new TradetrailError(code, statusCode, template(...args)),
    withProblems: (problems, ...args) => new TradetrailError(code, statusCode, template(...args), problems),
    is: (error): error is TradetrailError => error instanceof TradetrailError && error.code === code,
  }
  registry.set(code, definition as ErrorDefinition<never>)
  return definition
}

/** Every code with its HTTP status, for docs and tests. */
export function listErrorCodes(): Array<{ code: string; statusCode: number }> {
  return [...registry.values()].map(({ code, statusCode }) => ({ code, statusCode }))
}

// Event validation: one code per kind of problem; `path` says where.
export const ERR_EVENT_INVALID = define('TT_ERR_EVENT_INVALID', 400, (count: number, first: string) =>
  count === 1 ? `The batch was rejected whole: ${first}` : `The batch was rejected whole: ${count} problems, first: ${first}`)
export const ERR_EVENT_NOT_OBJECT = define('TT_ERR_EVENT_NOT_OBJECT', 400, () => 'an event must be a JSON object')
export const ERR_EVENT_MISSING_FIELD = define('TT_ERR_EVENT_MISSING_FIELD', 400, (field: string) => `required field "${field}" is missing`)
export const ERR_EVENT_UNKNOWN_FIELD = define('TT_ERR_EVENT_UNKNOWN_FIELD', 400, (field: string) =>
  `unknown field "${field}": put custom values in "data" (business fields) or "metadata" (technical context)`)
export const ERR_EVENT_SERVER_FIELD = define('TT_ERR_EVENT_SERVER_FIELD', 400, (field: string) =>
  `field "${field}" is set by the server; remove it from the event`)
export const ERR_EVENT_WRONG_TYPE = define('TT_ERR_EVENT_WRONG_TYPE', 400, (field: string, expected: string) => `"${field}" must be ${expected}`)
export const ERR_EVENT_BAD_VALUE = define('TT_ERR_EVENT_BAD_VALUE', 400, (field: string, rule: string) => `"${field}" ${rule}`)
export const ERR_EVENT_TOO_LARGE = define('TT_ERR_EVENT_TOO_LARGE', 400, (field: string, limit: number, size: number) =>
  `"${field}" is ${size} bytes as UTF-8 JSON; the limit is ${limit} bytes`)
export const ERR_EVENT_BAD_TIMESTAMP = define('TT_ERR_EVENT_BAD_TIMESTAMP', 400, (field: string, value: string) =>
  `"${field}" must be an RFC 3339 UTC timestamp like 2025-12-17T21:00:03.123456Z, got ${JSON.stringify(value.slice(0, 64))}`)
export const ERR_EVENT_BAD_STRING = define('TT_ERR_EVENT_BAD_STRING', 400, (field: string) =>
  `"${field}" contains a lone UTF-16 surrogate, which JSON cannot carry portably; send well-formed Unicode`)
export const ERR_BATCH_EMPTY = define('TT_ERR_BATCH_EMPTY', 400, () => 'the batch holds no events; send at least one')
export const ERR_BATCH_TOO_LARGE = define('TT_ERR_BATCH_TOO_LARGE', 413, (count: number, limit: number) =>
  `the batch holds ${count} events; the limit is ${limit}: split it`)

// Authentication and limits.
export const ERR_AUTH_MISSING = define('TT_ERR_AUTH_MISSING', 401, () =>
  'a token is required: send "Authorization: Bearer <token>" (create one with "tradetrail token create")')
export const ERR_AUTH_INVALID = define('TT_ERR_AUTH_INVALID', 401, (reason: string) => `the token is not valid: ${reason}`)
/** `replacedBy`: the token issued when this one was rotated, whose grace period then ended at `at`. */
export const ERR_AUTH_EXPIRED = define('TT_ERR_AUTH_EXPIRED', 401, (id: string, at: string, replacedBy: string | null) => replacedBy === null
  ? `token ${id} expired at ${at}; ask an admin for a new one ("tradetrail token create", or "tradetrail token rotate" before a token expires)`
  : `token ${id} was rotated to token ${replacedBy}, and its grace period ended at ${at}; use the new token`)
export const ERR_AUTH_SCOPE = define('TT_ERR_AUTH_SCOPE', 403, (scope: string, needed: string) =>
  `this token's scope "${scope}" does not allow this; it needs a token with scope ${needed}`)
export const ERR_AUTH_PROJECT = define('TT_ERR_AUTH_PROJECT', 403, (project: string, access: 'write' | 'read' = 'write') => access === 'write'
  ? `this token may not write events of project "${project}"; use a token created with --project ${project}`
  : `this token may not read project "${project}"; it reads only the projects it was created with ("tradetrail token list" shows them)`)
export const ERR_AUTH_WHOLE_TRAIL = define('TT_ERR_AUTH_WHOLE_TRAIL', 403, (projects: readonly string[]) =>
  `this token reads only ${projects.length === 1 ? 'project' : 'projects'} ${projects.join(', ')}, and this endpoint covers the events of every project; use a read token for every project`)
export const ERR_AUTH_RESERVED_PROJECT = define('TT_ERR_AUTH_RESERVED_PROJECT', 403, (project: string) =>
  `project "${project}" is reserved for Tradetrail's own records (start, stop, tokens, verification, retention); no token may write it or be bound to it`)
export const ERR_AUTH_RATE_LIMITED = define('TT_ERR_AUTH_RATE_LIMITED', 429, (retryAfterS: number) =>
  `too many requests for this token; retry after ${retryAfterS} s`)

export const ERR_STREAM_LIMIT = define('TT_ERR_STREAM_LIMIT', 429, (limit: number) =>
  `this token already has ${limit} live streams open, the most one token may hold; close one, or use another token (TRADETRAIL_STREAM_MAX_PER_TOKEN)`)

// Token requests (POST /v1/tokens, `tradetrail token create|revoke`).
const TOKEN_FIELD_RULES = {
  unknown: 'is not a token field; send only "scope", "projects", "privileges", "label", "expires_in" and "expires_at"',
  unknownRotation: 'is not a field of a rotation; send only "grace", "expires_in" and "expires_at"',
  strings: 'must be an array of strings',
  string: 'must be a string (or null)',
  tooLong: 'must be at most 200 characters',
} as const
/** What is wrong with one field of a token request. */
export type TokenFieldRule = keyof typeof TOKEN_FIELD_RULES
export const ERR_TOKEN_BODY = define('TT_ERR_TOKEN_BODY', 400, () =>
  'the body must be a JSON object: {"scope", "projects", "privileges", "label", "expires_in", "expires_at"} to create a token, {"grace", "expires_in", "expires_at"} to rotate one')
export const ERR_TOKEN_FIELD = define('TT_ERR_TOKEN_FIELD', 400, (field: string, rule: TokenFieldRule) =>
  `"${field.slice(0, 40)}" ${TOKEN_FIELD_RULES[rule]}`)
export const ERR_TOKEN_SCOPE = define('TT_ERR_TOKEN_SCOPE', 400, (scope: unknown, known: readonly string[]) =>
  `scope ${JSON.stringify(scope)?.slice(0, 40) ?? 'is missing'}${scope === undefined ? '' : ' is not known'}; it must be one of ${known.join(', ')}`)
export const ERR_TOKEN_PROJECT_MISSING = define('TT_ERR_TOKEN_PROJECT_MISSING', 400, () =>
  'an ingest token needs at least one project (--project NAME, or --project "*" for any)')
export const ERR_TOKEN_NOT_INGEST = define('TT_ERR_TOKEN_NOT_INGEST', 400, (scope: string, what: 'projects' | 'privileges') => what === 'privileges'
  ? `privileges apply to ingest tokens only; drop them from this ${scope} token, or use scope ingest`
  : `projects apply to ingest and read tokens only; drop them from this ${scope} token, which covers every project`)
export const ERR_TOKEN_PROJECT = define('TT_ERR_TOKEN_PROJECT', 400, (project: string) =>
  `project ${JSON.stringify(project.slice(0, 80))} must be "*" or 1 to 64 characters of A-Z, a-z, 0-9, "_", "." and "-"`)
export const ERR_TOKEN_PRIVILEGE = define('TT_ERR_TOKEN_PRIVILEGE', 400, (privilege: string) =>
  `privilege ${JSON.stringify(privilege.slice(0, 80))} must look like execute_trade (a lower-case letter, then up to 63 of a-z 0-9 _ . : -)`)
const TOKEN_TIME_FIELDS = { expires_in: 'expires_in (--expires-in)', expires_at: 'expires_at (--expires-at)', grace: 'grace (--grace)' } as const
const TOKEN_TIME_RULES = {
  duration: 'must be a duration such as 12h, 30d or 1y',
  grace: 'must be a duration such as 0s, 30m, 24h or 7d',
  time: 'must be an RFC 3339 UTC time such as 2026-06-30T00:00:00Z',
  past: 'must be in the future',
  both: 'and expires_in (--expires-in) exclude each other; give one',
} as const
/** The time fields of a token request, and what is wrong with one. */
export type TokenTimeField = keyof typeof TOKEN_TIME_FIELDS
export type TokenTimeRule = keyof typeof TOKEN_TIME_RULES
export const ERR_TOKEN_TIME = define('TT_ERR_TOKEN_TIME', 400, (field: TokenTimeField, rule: TokenTimeRule, value?: string) =>
  `${TOKEN_TIME_FIELDS[field]} ${TOKEN_TIME_RULES[rule]}${value === undefined ? '' : `, got ${JSON.stringify(value.slice(0, 80))}`}`)
/** A rotation of a token that no longer works; `detail` is the time it stopped, or the id it was rotated to. */
export const ERR_TOKEN_NOT_ACTIVE = define('TT_ERR_TOKEN_NOT_ACTIVE', 409, (id: string, state: 'revoked' | 'expired' | 'replaced', detail: string) =>
  state === 'replaced'
    ? `token ${id} was rotated to token ${detail} already; rotate ${detail} instead`
    : `token ${id} ${state === 'revoked' ? 'was revoked' : 'expired'} at ${detail}, so it cannot be rotated; create a new token instead`)
export const ERR_TOKEN_NOT_FOUND = define('TT_ERR_TOKEN_NOT_FOUND', 404, (id: string) =>
  `token ${id.slice(0, 40)} was not found; list the tokens with "tradetrail token list" (or GET /v1/tokens) and use an id from there`)

// Reading the trail.
export const ERR_EVENT_NOT_FOUND = define('TT_ERR_EVENT_NOT_FOUND', 404, (id: string) =>
  `event ${id.slice(0, 40)} was not found; ids are the events' "id" field, as GET /v1/events lists them`)

// HTTP requests.
export const ERR_QUERY_INVALID = define('TT_ERR_QUERY_INVALID', 400, (param: string, rule: string, value?: string) =>
  `query parameter "${param}" ${rule}${value === undefined ? '' : `, got ${JSON.stringify(value.slice(0, 80))}`}`)
export const ERR_HEADER_INVALID = define('TT_ERR_HEADER_INVALID', 400, (header: string, rule: string) => `header ${header} ${rule}`)
export const ERR_HEADER_TOO_LARGE = define('TT_ERR_HEADER_TOO_LARGE', 431, (limit: number) =>
  `the request head (request line and headers) is over ${limit} bytes; send fewer or shorter headers`)
export const ERR_REQUEST_TIMEOUT = define('TT_ERR_REQUEST_TIMEOUT', 408, (headMs: number, requestMs: number) =>
  `the request came too slowly: its head must be complete within ${headMs} ms (of connecting, or of its first byte on a reused connection), the whole request within ${requestMs} ms; nothing was stored. Send each request at once, then retry`)
const BODY_PROBLEMS = {
  empty: 'the request body is empty; send a JSON array of events, or NDJSON',
  length: 'the request body does not match its Content-Length; send the length of the bytes sent',
  json: 'the request body is not valid JSON; send a JSON array of events',
  ndjson: 'the request body is not valid NDJSON; send one JSON event per line',
  gzip: 'the request body is not valid gzip; compress it whole, or drop Content-Encoding',
  truncated: 'the request body ended before it was complete; send it again',
  query: 'the query string cannot be parsed; percent-encode its values',
  http: 'the request is not valid HTTP/1.1; send it with an HTTP client',
  refused: 'the request was refused as malformed; check its headers and body against docs/api.md',
} as const
/** What is wrong with a request body, one fixed sentence each. */
export type BodyProblem = keyof typeof BODY_PROBLEMS
/** `detail` is data from the parser (a line number, the parser's own words), quoted after the sentence. */
export const ERR_BODY_INVALID = define('TT_ERR_BODY_INVALID', 400, (problem: BodyProblem, detail?: string) =>
  `${BODY_PROBLEMS[problem]}${detail === undefined ? '' : ` (${detail.slice(0, 200)})`}`)
export const ERR_BODY_BAD_UNICODE = define('TT_ERR_BODY_BAD_UNICODE', 400, (offset: number) =>
  `the request body is not valid UTF-8 at byte ${offset}; send UTF-8 (nothing was stored: the trail keeps the bytes producers send, never a replacement)`)
export const ERR_BODY_CHARSET = define('TT_ERR_BODY_CHARSET', 415, (charset: string) =>
  `charset "${charset}" is not accepted; send the body as UTF-8 (charset=utf-8, or no charset)`)
export const ERR_BODY_TOO_LARGE = define('TT_ERR_BODY_TOO_LARGE', 413, (limit: number) =>
  `the request body is over ${limit} bytes (after decompression); send smaller batches`)
export const ERR_UNSUPPORTED_MEDIA = define('TT_ERR_UNSUPPORTED_MEDIA', 415, (type: string) =>
  `content type "${type}" is not accepted; send application/json (an array of events) or application/x-ndjson`)
export const ERR_UNSUPPORTED_ENCODING = define('TT_ERR_UNSUPPORTED_ENCODING', 415, (encoding: string) =>
  `content encoding "${encoding}" is not accepted; send identity or gzip`)
export const ERR_ROUTE_NOT_FOUND = define('TT_ERR_ROUTE_NOT_FOUND', 404, (method: string, url: string) =>
  `no endpoint ${method} ${url}; see docs/api.md`)
export const ERR_COLLECTOR_UNAVAILABLE = define('TT_ERR_COLLECTOR_UNAVAILABLE', 503, () =>
  'the collector is shutting down; nothing was stored. Retry after Retry-After, or send to another collector')
const LISTEN_HINTS: Record<string, string> = {
  EADDRINUSE: 'another process listens there; stop it, or choose another port (--port or TRADETRAIL_PORT; 0 picks a free one)',
  EACCES: 'ports below 1024 need privileges; choose a port from 1024 up (--port or TRADETRAIL_PORT)',
  EADDRNOTAVAIL: 'that host is not an address of this machine; choose one that is (--host or TRADETRAIL_HOST)',
}
/** `cause` is the system error code of the failed listen (EADDRINUSE, EACCES, …). */
export const ERR_COLLECTOR_LISTEN = define('TT_ERR_COLLECTOR_LISTEN', 500, (address: string, cause: string) =>
  `the collector cannot listen on ${address} (${cause.slice(0, 40)}): ${LISTEN_HINTS[cause] ?? 'check --host and --port (TRADETRAIL_HOST, TRADETRAIL_PORT)'}`)
export const ERR_COLLECTOR_INTERNAL = define('TT_ERR_COLLECTOR_INTERNAL', 500, (id: string) =>
  `internal error (request ${id}); nothing was stored. The collector logged the details under that request id`)

// Storage.
export const ERR_STORE_DATA_DIR = define('TT_ERR_STORE_DATA_DIR', 500, (path: string, reason: string) =>
  `data directory ${path} cannot be used: ${reason}`)
export const ERR_STORE_UNSAFE_DATA_DIR = define('TT_ERR_STORE_UNSAFE_DATA_DIR', 500, (path: string, reason: string) =>
  `data directory ${path} ${reason}; audit records there may be lost on restart. Mount a persistent volume there`)
export const ERR_STORE_CLOSED = define('TT_ERR_STORE_CLOSED', 503, () => 'the event store is closed')
// The store could not take a write or a read: nothing was stored, and the caller should retry (503).
export const ERR_STORE_BUSY = define('TT_ERR_STORE_BUSY', 503, () =>
  'the store stayed locked by another process for too long; nothing was stored, retry')
export const ERR_STORE_FULL = define('TT_ERR_STORE_FULL', 503, () =>
  'the disk holding the trail is full; nothing was stored. Make room on the data volume, then retry')
export const ERR_STORE_IO = define('TT_ERR_STORE_IO', 503, (detail: string) =>
  `the store cannot read or write its files (${detail}); nothing was stored. Check the data volume and its permissions, then retry`)
export const ERR_STORE_SCHEMA = define('TT_ERR_STORE_SCHEMA', 500, (found: number, supported: number) =>
  `the store has schema version ${found}, newer than this Tradetrail supports (${supported}); upgrade Tradetrail`)

// Signing and retention.
export const ERR_SIGNING_KEY = define('TT_ERR_SIGNING_KEY', 500, (path: string, reason: string) => `signing key ${path}: ${reason}`)
export const ERR_RETENTION_INVALID = define('TT_ERR_RETENTION_INVALID', 400, (reason: string) => `retention: ${reason}`)
/** `retention` and `minimum` are durations as written (`30d`, `5y`). */
export const ERR_RETENTION_BELOW_MINIMUM = define('TT_ERR_RETENTION_BELOW_MINIMUM', 400, (retention: string, minimum: string) =>
  `retention: purging events younger than ${retention} is refused, because the minimum retention is ${minimum} (retentionMinMs, TRADETRAIL_RETENTION_MIN); nothing was purged. ` +
  'To purge below the minimum anyway, give the reason with --below-minimum-retention REASON (TRADETRAIL_RETENTION_BELOW_MINIMUM): it is logged and recorded in the trail')

// Legal holds (`tradetrail hold`, /v1/holds).
/** The rules of a legal hold's fields, written once for the HTTP API and the CLI. */
export const HOLD_RULES = {
  body: 'must be a JSON object',
  unknown: 'is not a field of a legal hold; send "project", or "from" and "to", and "reason"',
  unknownRelease: 'is not a field of a release; send only "reason"',
  kind: 'or a time range (from and to) is needed, not both: a hold covers one project, or the events of one time range',
  range: 'is needed too: a time range has a start (from) and an end (to)',
  project: 'must be 1 to 64 characters of A-Z, a-z, 0-9, "_", "." and "-"',
  time: 'must be an RFC 3339 UTC time or a date (YYYY-MM-DD)',
  order: 'must be later than from',
  reason: 'must be a single line of 1 to 200 characters',
} as const
/** What is wrong with one field of a legal hold request. */
export type HoldRule = keyof typeof HOLD_RULES
export const ERR_HOLD_INVALID = define('TT_ERR_HOLD_INVALID', 400, (field: string, rule: HoldRule, value?: string) =>
  `${field.slice(0, 40)} ${HOLD_RULES[rule]}${value === undefined ? '' : `, got ${JSON.stringify(value.slice(0, 80))}`}`)
export const ERR_HOLD_NOT_FOUND = define('TT_ERR_HOLD_NOT_FOUND', 404, (id: string) =>
  `legal hold ${id.slice(0, 40)} was not found; list the holds with "tradetrail hold list" (or GET /v1/holds) and use an id from there`)
export const ERR_HOLD_RELEASED = define('TT_ERR_HOLD_RELEASED', 409, (id: string, at: string) =>
  `legal hold ${id.slice(0, 40)} was released already, at ${at}; place a new hold if the events must be kept again`)

// Witnesses: where checkpoints and anchors go as they are signed (docs/operations.md, "Witnesses").
const WITNESS_DIR_HINTS: Record<string, string> = {
  ENOTDIR: 'a part of its path is a file, not a directory',
  EACCES: 'this user may not create files there',
  EPERM: 'this user may not create files there',
  EROFS: 'it is on a read-only file system (a WORM mount must still let new files be created)',
  ENOSPC: 'its disk is full',
  EDQUOT: 'its disk quota is used up',
}
/** `errno` is the system error code of the failed mkdir, open, write or link (ENOTDIR, EACCES, …). */
export const ERR_WITNESS_DIR = define('TT_ERR_WITNESS_DIR', 500, (path: string, errno: string) =>
  `witness directory ${path} cannot be written (${errno.slice(0, 40)}): ${WITNESS_DIR_HINTS[errno] ?? 'check the path and the volume mounted there'}. Fix it or change TRADETRAIL_WITNESS_DIR`)
/** `cause` is short data: `ECONNREFUSED`, `HTTP 500`, `no answer within 10000 ms`, an errno. */
export const ERR_WITNESS_DELIVERY = define('TT_ERR_WITNESS_DELIVERY', 502, (witness: string, kind: string, seq: number, cause: string) =>
  `witness ${witness} did not take the ${kind} at seq ${seq} (${cause.slice(0, 120)}); it stays pending and is sent again, in order, until the witness takes it`)
export const ERR_WITNESS_CONFLICT = define('TT_ERR_WITNESS_CONFLICT', 409, (witness: string, kind: string, seq: number) =>
  `witness ${witness} already holds a different ${kind} at seq ${seq}: the trail was rewritten or restored since, or another trail with the same key writes there. Nothing was overwritten; run tradetrail verify --witness`)

// Alerts and notifications (docs/operations.md, "Alerts and notifications").
/** The rules of the body of an acknowledgement or a resolution, written once for the HTTP API and the CLI. */
export const ALERT_RULES = {
  body: 'must be a JSON object, or no body at all',
  unknown: 'is not a field here; send only "note"',
  note: 'must be a single line of 1 to 200 characters',
} as const
/** What is wrong with one field of an acknowledgement or a resolution. */
export type AlertRule = keyof typeof ALERT_RULES
export const ERR_ALERT_INVALID = define('TT_ERR_ALERT_INVALID', 400, (field: string, rule: AlertRule, value?: string) =>
  `${field.slice(0, 40)} ${ALERT_RULES[rule]}${value === undefined ? '' : `, got ${JSON.stringify(value.slice(0, 80))}`}`)
export const ERR_ALERT_NOT_FOUND = define('TT_ERR_ALERT_NOT_FOUND', 404, (id: string) =>
  `alert ${JSON.stringify(id.slice(0, 40))} was not found; list the alerts with "tradetrail alerts list" (or GET /v1/alerts) and use an id from there`)
export const ERR_ALERT_RESOLVED = define('TT_ERR_ALERT_RESOLVED', 409, (id: string, at: string, by: string) =>
  `alert ${id} was resolved already, at ${at} by ${by}: there is nothing left to acknowledge`)
/** `cause` is short data: `ECONNREFUSED`, `HTTP 500`, `no answer within 10000 ms`, an SMTP reply. */
export const ERR_NOTIFY_DELIVERY = define('TT_ERR_NOTIFY_DELIVERY', 502, (channel: string, where: string, cause: string) =>
  `channel ${channel} (${where}) did not take the notification (${cause.slice(0, 160)}); it stays in the outbox and is sent again until the channel takes it`)

// Import.
export const ERR_IMPORT_INVALID = define('TT_ERR_IMPORT_INVALID', 400, (file: string, count: number, first: string) =>
  `${file}: ${count} bad line${count === 1 ? '' : 's'}, nothing imported (--strict); first: ${first}`)

// Command line and configuration.
export const ERR_CONFIG_INVALID = define('TT_ERR_CONFIG_INVALID', 500, (source: string, value: string, reason: string) =>
  `${source}${value === '' ? '' : `=${JSON.stringify(value.slice(0, 80))}`} ${reason}`)
/** The rules of the CLI's own flags, written once; filter-params.ts holds those shared with the HTTP API. */
export const CLI_RULES = {
  keyValue: 'must be key=value',
  json: 'is not valid JSON',
  jsonObject: 'must be a JSON object',
  duration: 'must be a duration such as 12h, 90d or 5y',
  date: 'must be YYYY-MM-DD, "today" or "yesterday"',
  adminToken: 'needs an admin token: pass --token or set $TRADETRAIL_TOKEN',
} as const
/** A command-line flag with a wrong value (the CLI exits 2); `value`, when given, is quoted as data. */
export const ERR_CLI_USAGE = define('TT_ERR_CLI_USAGE', 400, (flag: string, rule: string, value?: string) =>
  `${flag} ${rule}${value === undefined ? '' : `, got ${JSON.stringify(value.slice(0, 80))}`}`)

// Files named on the command line (import FILE, --out, --public-key, --checkpoints). The OS
// conditions met there each have a code (os-errors.ts maps them); TT_ERR_FILE_ACCESS is the rest.
/** What the command wanted to do with the file. */
export type FileAccess = 'read' | 'write' | 'use'
export const ERR_FILE_ACCESS = define('TT_ERR_FILE_ACCESS', 500, (path: string, reason: string) => `cannot use ${path}: ${reason}`)
export const ERR_FILE_NOT_FOUND = define('TT_ERR_FILE_NOT_FOUND', 404, (path: string, errno: 'ENOENT' | 'ENOTDIR', access: FileAccess) => errno === 'ENOTDIR'
  ? `${path} cannot exist: a part of its path is a file, not a directory (ENOTDIR); check the path`
  : access === 'write' ? `${path} cannot be created: its directory does not exist (ENOENT); check the path, or create the directory`
    : `${path} does not exist (ENOENT); check the path`)
export const ERR_FILE_IS_DIRECTORY = define('TT_ERR_FILE_IS_DIRECTORY', 400, (path: string) =>
  `${path} is a directory (EISDIR); name a file`)
export const ERR_FILE_PERMISSION = define('TT_ERR_FILE_PERMISSION', 403, (path: string, errno: string, access: FileAccess) =>
  `this user may not ${access} ${path} (${errno}); change its permissions, run as a user who may, or choose another path`)
export const ERR_FILE_READ_ONLY = define('TT_ERR_FILE_READ_ONLY', 403, (path: string) =>
  `${path} is on a read-only file system (EROFS); choose a path on a writable volume`)
export const ERR_FILE_DISK_FULL = define('TT_ERR_FILE_DISK_FULL', 507, (path: string, errno: string) =>
  `the disk holding ${path} is full (${errno}); what was written there is incomplete. Make room, then run the command again`)

// A collector called over HTTP (the SDK, `tradetrail token … --url`).
/** `cause` is the system error code: ENOTFOUND, EAI_AGAIN, ECONNREFUSED, ETIMEDOUT, ECONNRESET, … */
export const ERR_COLLECTOR_UNREACHABLE = define('TT_ERR_COLLECTOR_UNREACHABLE', 502, (url: string, cause: string) =>
  `the collector at ${url} cannot be reached (${cause}); check the URL and its DNS name, that the collector runs and listens there, and the network in between`)
/** A Tradetrail collector answered with an error of its own: its code and message are quoted. */
export const ERR_COLLECTOR_REFUSED = define('TT_ERR_COLLECTOR_REFUSED', 502, (url: string, status: number, code: string, message: string) =>
  `the collector at ${url} refused the request with ${status} ${code.slice(0, 64)}: ${JSON.stringify(message.slice(0, 300))}; look up ${code.slice(0, 64)} in docs/api.md`)
export const ERR_COLLECTOR_NOT_TRADETRAIL = define('TT_ERR_COLLECTOR_NOT_TRADETRAIL', 502, (url: string, status: number) =>
  `${url} answered ${status} with something that is not a Tradetrail answer (a proxy's page, another service, or over 1 MiB); check that the URL points at a Tradetrail collector and that any proxy in front of it passes requests through`)

// Client SDK and file sink: reported through onError, never thrown at the caller.
export const ERR_CLIENT_OPTIONS = define('TT_ERR_CLIENT_OPTIONS', 400, (option: string, reason: string) => `option ${option} ${reason}`)
export const ERR_CLIENT_SPOOL = define('TT_ERR_CLIENT_SPOOL', 500, (dir: string, reason: string) =>
  `spool ${dir}: ${reason}; events stay in memory (bounded by maxQueuedEvents) until it works again`)
export const ERR_CLIENT_SPOOL_UNSAFE = define('TT_ERR_CLIENT_SPOOL_UNSAFE', 500, (dir: string, reason: string) =>
  `spool ${dir} ${reason}; events waiting there may be lost on restart. Put spoolDir (TRADETRAIL_SPOOL_DIR) on a persistent volume`)
export const ERR_CLIENT_SPOOL_FULL = define('TT_ERR_CLIENT_SPOOL_FULL', 507, (dir: string, limit: number) =>
  `spool ${dir} is full (${limit} bytes); the collector has not taken events for a while. Raise maxSpoolBytes or bring the collector back`)
export const ERR_CLIENT_QUEUE_FULL = define('TT_ERR_CLIENT_QUEUE_FULL', 503, (limit: number) =>
  `${limit} events are waiting in memory and there is nowhere durable to put more; the newest are dropped (AUDIT_EMERGENCY lines on stderr)`)
export const ERR_CLIENT_CLOSED = define('TT_ERR_CLIENT_CLOSED', 409, () => 'send() after close(): the event was not recorded')
export const ERR_CLIENT_CLOCK_SKEW = define('TT_ERR_CLIENT_CLOCK_SKEW', 400, (offsetMs: number, limitMs: number) =>
  `this machine's clock is ${Math.abs(offsetMs).toFixed(1)} ms ${offsetMs > 0 ? 'behind' : 'ahead of'} the collector's (limit ${limitMs} ms); check NTP/chrony`)
export const ERR_SINK_UNSAFE_DIR = define('TT_ERR_SINK_UNSAFE_DIR', 500, (dir: string, reason: string) =>
  `audit file directory ${dir} ${reason}; the audit file there may be lost on restart. Mount a persistent volume there, or set TRADETRAIL_LOG_PATH to a path on one`)
export const ERR_SINK_WRITE = define('TT_ERR_SINK_WRITE', 500, (path: string, reason: string) =>
  `audit file ${path}: ${reason}; events go to stderr as AUDIT_EMERGENCY lines until writes work again`)
export const ERR_DUMP_WRITE = define('TT_ERR_DUMP_WRITE', 500, (path: string, reason: string) =>
  `dump file ${path}: ${reason}; an earlier dump there is left as it was`)
