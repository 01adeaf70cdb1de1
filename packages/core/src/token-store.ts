/** API tokens: the contract for storing them (hashed), so every store adapter can hold them. */

export const SCOPES = ['ingest', 'read', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** A token as listed: never its secret. */
export interface TokenInfo {
  /** Public part of the token, also its name in lists and logs. */
  id: string
  scope: Scope
  /** Projects an ingest token may write (`*` for any); empty for read and admin. */
  projects: string[]
  /** Privileges granted to the projects written with this token (e.g. execute_trade). */
  privileges: string[]
  /** Free text to recognise it by. */
  label: string | null
  created_at: string
  revoked_at: string | null
}

export interface StoredToken extends TokenInfo {
  /** SHA-256 of the secret part. */
  secret_hash: Buffer
}

export interface TokenStore {
  addToken(token: StoredToken): Promise<void>
  findToken(id: string): Promise<StoredToken | undefined>
  listTokens(): Promise<TokenInfo[]>
  /** Marks a token revoked; false when there is no such token. */
  revokeToken(id: string, at: string): Promise<boolean>
  /** Number of tokens not revoked. */
  countActiveTokens(): Promise<number>
}
