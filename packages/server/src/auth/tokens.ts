/**
 * Token issue and check. A token reads `tt_<id>_<secret>`: the id finds the record, the
 * secret is checked against its SHA-256 in constant time. Only the hash is stored; the
 * token itself is shown once, when created.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import {
  type Clock, ERR_AUTH_INVALID, ERR_AUTH_MISSING, ERR_AUTH_RESERVED_PROJECT, ERR_TOKEN_FIELD, ERR_TOKEN_NOT_FOUND, ERR_TOKEN_NOT_INGEST,
  ERR_TOKEN_PRIVILEGE, ERR_TOKEN_PROJECT, ERR_TOKEN_PROJECT_MISSING, ERR_TOKEN_SCOPE, PROJECT_PATTERN, type Scope, SCOPES, type StoredToken,
  SELF_PROJECT, type TokenInfo, type TokenStore, formatMicros, systemClock,
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

export interface TokenRequest {
  scope: Scope
  projects?: string[]
  privileges?: string[]
  label?: string | null
}

export interface IssuedToken extends TokenInfo {
  /** The whole token; shown once. */
  token: string
}

function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret).digest()
}

/** Creates and stores a token; throws a TT_ERR_TOKEN_* error for a request that makes no sense. */
export async function issueToken(store: TokenStore, request: TokenRequest, clock: Clock = systemClock): Promise<IssuedToken> {
  if (!SCOPES.includes(request.scope)) throw ERR_TOKEN_SCOPE.create(request.scope, SCOPES)
  const projects = [...new Set(request.projects ?? [])]
  const privileges = [...new Set(request.privileges ?? [])]
  if (request.scope === 'ingest' && projects.length === 0) throw ERR_TOKEN_PROJECT_MISSING.create()
  if (request.scope !== 'ingest' && (projects.length > 0 || privileges.length > 0)) throw ERR_TOKEN_NOT_INGEST.create(request.scope)
  for (const p of projects) if (p !== '*' && !PROJECT.test(p)) throw ERR_TOKEN_PROJECT.create(p)
  if (projects.includes(SELF_PROJECT)) throw ERR_AUTH_RESERVED_PROJECT.create(SELF_PROJECT)
  for (const p of privileges) if (!PRIVILEGE.test(p)) throw ERR_TOKEN_PRIVILEGE.create(p)
  if (request.label != null && request.label.length > 200) throw ERR_TOKEN_FIELD.create('label', 'tooLong')
  const id = randomBytes(6).toString('hex')
  const secret = randomBytes(32).toString('base64url')
  const info: TokenInfo = {
    id, scope: request.scope, projects: projects.sort(), privileges: privileges.sort(), label: request.label ?? null,
    created_at: formatMicros(clock.nowMicros()), revoked_at: null,
  }
  await store.addToken({ ...info, secret_hash: hashSecret(secret) })
  return { ...info, token: `tt_${id}_${secret}` }
}

/** The token of an `Authorization: Bearer …` header, checked; throws 401 errors. */
export async function authenticate(store: TokenStore, authorization: string | undefined): Promise<TokenInfo> {
  if (authorization === undefined || authorization === '') throw ERR_AUTH_MISSING.create()
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization)
  if (m === null) throw ERR_AUTH_INVALID.create('the Authorization header must read "Bearer <token>"')
  const parts = TOKEN.exec(m[1]!)
  if (parts === null) throw ERR_AUTH_INVALID.create('it is not a Tradetrail token (tt_…)')
  const stored = await store.findToken(parts[1]!)
  if (stored === undefined || !timingSafeEqual(stored.secret_hash, hashSecret(parts[2]!))) throw ERR_AUTH_INVALID.create('unknown token')
  if (stored.revoked_at !== null) throw ERR_AUTH_INVALID.create(`token ${stored.id} was revoked at ${stored.revoked_at}`)
  const { secret_hash: _hash, ...info } = stored
  return info
}

/** Whether a token may write events of `project`. */
export function mayWrite(token: TokenInfo, project: string): boolean {
  return token.scope === 'admin' || (token.scope === 'ingest' && (token.projects.includes('*') || token.projects.includes(project)))
}

/** Whether the token grants `privilege` (admin tokens hold every privilege). */
export function grants(token: TokenInfo, privilege: string): boolean {
  return token.scope === 'admin' || token.privileges.includes(privilege)
}
