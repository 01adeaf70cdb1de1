/**
 * Token issue and check. A token reads `tt_<id>_<secret>`: the id finds the record, the
 * secret is checked against its SHA-256 in constant time. Only the hash is stored; the
 * token itself is shown once, when created. A token may expire; rotation issues its successor
 * while the old token works on for a grace period; a read token may be limited to projects.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import {
  type Clock, ERR_AUTH_EXPIRED, ERR_AUTH_INVALID, ERR_AUTH_MISSING, ERR_AUTH_PROJECT, ERR_AUTH_RESERVED_PROJECT, ERR_TOKEN_FIELD, ERR_TOKEN_NOT_ACTIVE,
  ERR_TOKEN_NOT_FOUND, ERR_TOKEN_NOT_INGEST, ERR_TOKEN_PRIVILEGE, ERR_TOKEN_PROJECT, ERR_TOKEN_PROJECT_MISSING, ERR_TOKEN_SCOPE, ERR_TOKEN_TIME,
  type EventFilter, PROJECT_PATTERN, type Scope, SCOPES, type StoredToken, SELF_PROJECT, type TokenInfo, type TokenStore, durationMillis, formatMicros,
  systemClock, timestampMillis,
} from '@tradetrail/core'

const TOKEN = /^tt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/

/** The id of `idOrToken`: a whole token's id part, or the text itself when it is an id. */
export function tokenId(idOrToken: string): string {
  return /^tt_([0-9a-f]{12})_/.exec(idOrToken)?.[1] ?? idOrToken
}

/** Revokes token `id` at once (the collector and the CLI alike); TT_ERR_TOKEN_NOT_FOUND when there is none. */
export async function revokeToken(store: TokenStore, id: string, clock: Clock = systemClock): Promise<void> {
  if (!(await store.revokeToken(id, formatMicros(clock.nowMicros())))) throw ERR_TOKEN_NOT_FOUND.create(id)
}
const PRIVILEGE = /^[a-z][a-z0-9_.:-]{0,63}$/
const PROJECT = new RegExp(PROJECT_PATTERN)
/** The last instant RFC 3339 can write: later expiries are refused. */
const LATEST_MS = Date.parse('9999-12-31T23:59:59.999Z')
/** How long a rotated token keeps working when the rotation does not say. */
export const DEFAULT_GRACE = '24h'

/** When a token stops working: a duration from now, or a time; neither means never. */
export interface ExpiryRequest {
  /** A duration such as `30d`. */
  expires_in?: string
  /** An RFC 3339 UTC time. */
  expires_at?: string
}

export interface TokenRequest extends ExpiryRequest {
  scope: Scope
  /** Ingest: the projects it may write (`*` for any). Read: the projects it may read (none or `*`: every project). */
  projects?: string[]
  privileges?: string[]
  label?: string | null
}

export interface RotationRequest extends ExpiryRequest {
  /** How long the old token keeps working (default DEFAULT_GRACE; `0` or `0s` ends it at once). */
  grace?: string
}

export interface IssuedToken extends TokenInfo {
  /** The whole token; shown once. */
  token: string
}

export interface RotatedToken extends IssuedToken {
  /** The token it replaces, and when that one stops working. */
  replaces: { id: string; expires_at: string }
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest()
}

/** The expiry `request` asks for (stored form), or undefined when it asks for none; TT_ERR_TOKEN_TIME when it makes no sense. */
function requestedExpiry(request: ExpiryRequest, nowMs: number): string | undefined {
  const { expires_in: inValue, expires_at: atValue } = request
  if (inValue !== undefined && atValue !== undefined) throw ERR_TOKEN_TIME.create('expires_at', 'both')
  let ms: number
  if (inValue !== undefined) {
    const duration = durationMillis(inValue)
    if (duration === undefined || duration === 0 || nowMs + duration > LATEST_MS) throw ERR_TOKEN_TIME.create('expires_in', 'duration', inValue)
    ms = nowMs + duration
  } else if (atValue !== undefined) {
    ms = timestampMillis(atValue)
    if (Number.isNaN(ms)) throw ERR_TOKEN_TIME.create('expires_at', 'time', atValue)
    if (ms <= nowMs) throw ERR_TOKEN_TIME.create('expires_at', 'past', atValue)
  } else {
    return undefined
  }
  return formatMicros(ms * 1000)
}

/** A new token for `request`, checked, with its secret; throws a TT_ERR_TOKEN_* error for a request that makes no sense. */
function mint(request: TokenRequest, nowMicros: number, expiresAt: string | null): { stored: StoredToken; issued: IssuedToken } {
  if (!SCOPES.includes(request.scope)) throw ERR_TOKEN_SCOPE.create(request.scope, SCOPES)
  let projects = [...new Set(request.projects ?? [])]
  const privileges = [...new Set(request.privileges ?? [])]
  if (request.scope === 'ingest' && projects.length === 0) throw ERR_TOKEN_PROJECT_MISSING.create()
  if (request.scope === 'admin' && projects.length > 0) throw ERR_TOKEN_NOT_INGEST.create(request.scope, 'projects')
  if (request.scope !== 'ingest' && privileges.length > 0) throw ERR_TOKEN_NOT_INGEST.create(request.scope, 'privileges')
  for (const p of projects) if (p !== '*' && !PROJECT.test(p)) throw ERR_TOKEN_PROJECT.create(p)
  // Reading the collector's own records is an auditor's right; writing them is no one's.
  if (request.scope === 'ingest' && projects.includes(SELF_PROJECT)) throw ERR_AUTH_RESERVED_PROJECT.create(SELF_PROJECT)
  // A read token for every project lists none, as read tokens always have.
  if (request.scope === 'read' && projects.includes('*')) projects = []
  for (const p of privileges) if (!PRIVILEGE.test(p)) throw ERR_TOKEN_PRIVILEGE.create(p)
  if (request.label != null && request.label.length > 200) throw ERR_TOKEN_FIELD.create('label', 'tooLong')
  const id = randomBytes(6).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  const info: TokenInfo = {
    id, scope: request.scope, projects: projects.sort(), privileges: privileges.sort(), label: request.label ?? null,
    created_at: formatMicros(nowMicros), revoked_at: null, expires_at: expiresAt, replaced_by: null,
  }
  return { stored: { ...info, secret_hash: hashSecret(secret) }, issued: { ...info, token: `tt_${id}_${secret}` } }
}

/** Creates and stores a token; throws a TT_ERR_TOKEN_* error for a request that makes no sense. */
export async function issueToken(store: TokenStore, request: TokenRequest, clock: Clock = systemClock): Promise<IssuedToken> {
  const now = clock.nowMicros()
  const { stored, issued } = mint(request, now, requestedExpiry(request, now / 1000) ?? null)
  await store.addToken(stored)
  return issued
}

/**
 * Issues a token with the scope, projects, privileges and label of token `id`, which keeps
 * working for the grace period and then expires. The new token expires as the request says,
 * else it gets the old one's lifetime counted from now (or none, when the old had none).
 */
export async function rotateToken(store: TokenStore, id: string, request: RotationRequest = {}, clock: Clock = systemClock): Promise<RotatedToken> {
  const graceMs = request.grace === undefined ? durationMillis(DEFAULT_GRACE)! : request.grace === '0' ? 0 : durationMillis(request.grace)
  if (graceMs === undefined) throw ERR_TOKEN_TIME.create('grace', 'grace', request.grace)
  const old = await store.findToken(id)
  if (old === undefined) throw ERR_TOKEN_NOT_FOUND.create(id)
  const now = clock.nowMicros()
  const nowMs = now / 1000
  const lifetimeMs = old.expires_at === null ? undefined : timestampMillis(old.expires_at) - timestampMillis(old.created_at)
  const expiresAt = requestedExpiry(request, nowMs) ?? (lifetimeMs === undefined ? null : formatMicros(Math.min(nowMs + lifetimeMs, LATEST_MS) * 1000))
  const { stored, issued } = mint({ scope: old.scope, projects: old.projects, privileges: old.privileges, label: old.label }, now, expiresAt)
  const after = await store.rotateToken(id, stored, formatMicros(Math.min(nowMs + graceMs, LATEST_MS) * 1000))
  if (after === undefined) throw ERR_TOKEN_NOT_FOUND.create(id)
  if (after.replaced_by !== stored.id) {
    if (after.revoked_at !== null) throw ERR_TOKEN_NOT_ACTIVE.create(id, 'revoked', after.revoked_at)
    if (after.replaced_by !== null) throw ERR_TOKEN_NOT_ACTIVE.create(id, 'replaced', after.replaced_by)
    throw ERR_TOKEN_NOT_ACTIVE.create(id, 'expired', after.expires_at ?? '')
  }
  return { ...issued, replaces: { id, expires_at: after.expires_at! } }
}

/** The token of an `Authorization: Bearer …` header, checked against `clock`; throws 401 errors. */
export async function authenticate(store: TokenStore, authorization: string | undefined, clock: Clock = systemClock): Promise<TokenInfo> {
  if (authorization === undefined || authorization === '') throw ERR_AUTH_MISSING.create()
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
  if (m === null) throw ERR_AUTH_INVALID.create('the Authorization header must read "Bearer <token>"')
  const parts = TOKEN.exec(m[1]!)
  if (parts === null) throw ERR_AUTH_INVALID.create('it is not a Tradetrail token (tt_…)')
  const stored = await store.findToken(parts[1]!)
  if (stored === undefined || !timingSafeEqual(stored.secret_hash, hashSecret(parts[2]!))) throw ERR_AUTH_INVALID.create('unknown token')
  if (stored.revoked_at !== null) throw ERR_AUTH_INVALID.create(`token ${stored.id} was revoked at ${stored.revoked_at}`)
  // Checked on every request, also on a cached record (auth/token-cache.ts): the stored times are
  // formatMicros strings, whose order is time order.
  if (stored.expires_at !== null && formatMicros(clock.nowMicros()) >= stored.expires_at) throw ERR_AUTH_EXPIRED.create(stored.id, stored.expires_at, stored.replaced_by)
  const { secret_hash: _hash, ...info } = stored
  return info
}

/** The projects a token may read, or undefined when it may read every project. */
export function readableProjects(token: TokenInfo): readonly string[] | undefined {
  return token.scope === 'read' && token.projects.length > 0 ? token.projects : undefined
}

/** Whether a token may read events of `project`. */
export function mayRead(token: TokenInfo, project: string): boolean {
  return readableProjects(token)?.includes(project) ?? true
}

/** `filter` narrowed to the projects `token` may read; TT_ERR_AUTH_PROJECT (403) when it asks for another project. */
export function readFilter<F extends EventFilter>(token: TokenInfo, filter: F): F {
  const projects = readableProjects(token)
  if (projects === undefined) return filter
  if (filter.project === undefined) return { ...filter, projects }
  if (!projects.includes(filter.project)) throw ERR_AUTH_PROJECT.create(filter.project, 'read')
  return filter
}

/** Whether a token may write events of `project`. */
export function mayWrite(token: TokenInfo, project: string): boolean {
  return token.scope === 'admin' || (token.scope === 'ingest' && (token.projects.includes('*') || token.projects.includes(project)))
}

/** Whether the token grants `privilege` (admin tokens hold every privilege). */
export function grants(token: TokenInfo, privilege: string): boolean {
  return token.scope === 'admin' || token.privileges.includes(privilege)
}
