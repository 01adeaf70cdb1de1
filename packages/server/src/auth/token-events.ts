/**
 * How token changes are recorded in the trail (project `tradetrail`), the same whether the
 * collector or the CLI made them. Each names the token it changed in `data.id`: that is how a
 * collector learns over the commit feed to drop its cached copy (collector/serve.ts). No
 * secret is ever part of one.
 */
import type { TokenInfo } from '@tradetrail/core'
import type { RotatedToken } from './tokens.ts'

export interface TokenEvent {
  type: 'token_created' | 'token_rotated' | 'token_revoked'
  message: string
  data: Record<string, unknown>
}

export const TOKEN_EVENT_TYPES: ReadonlySet<string> = new Set<TokenEvent['type']>(['token_created', 'token_rotated', 'token_revoked'])

export function tokenCreated(token: TokenInfo & { token?: string }): TokenEvent {
  const { token: _secret, ...info } = token
  return { type: 'token_created', message: `Token ${info.id} created (${info.scope})`, data: info }
}

/** Names both tokens: `id` the old one, with the end of its grace period, and its successor. */
export function tokenRotated(rotated: RotatedToken): TokenEvent {
  const { token: _secret, replaces, ...successor } = rotated
  return {
    type: 'token_rotated',
    message: `Token ${replaces.id} rotated to ${successor.id}; ${replaces.id} works until ${replaces.expires_at}`,
    data: { id: replaces.id, expires_at: replaces.expires_at, replaced_by: successor.id, successor },
  }
}

export function tokenRevoked(id: string): TokenEvent {
  return { type: 'token_revoked', message: `Token ${id} revoked`, data: { id } }
}
