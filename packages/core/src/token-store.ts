/** API tokens: the contract for storing them (hashed), so every store adapter can hold them. */

export const SCOPES = ['ingest', 'read', 'admin'] as const
export type Scope = (typeof SCOPES)[number]

/** A token as listed: never its secret. */
export interface TokenInfo {
  /** Public part of the token, also its name in lists and logs. */
  id: string
  scope: Scope
  /**
   * Ingest: the projects it may write (`*` for any). Read: the projects it may read, empty for
   * every project. Admin: empty.
   */
  projects: string[]
  /** Privileges granted to the projects written with this token (e.g. execute_trade). */
  privileges: string[]
  /** Free text to recognise it by. */
  label: string | null
  created_at: string
  revoked_at: string | null
  /** From this time on the token is refused; null when it never expires. */
  expires_at: string | null
  /** The id of the token issued when this one was rotated; it then expires at the end of the grace period. */
  replaced_by: string | null
}

export interface StoredToken extends TokenInfo {
  /** SHA-256 of the secret part. */
  secret_hash: Buffer
}

/**
 * Times (`created_at`, `revoked_at`, `expires_at`, and the `at`/`until` arguments) are RFC 3339
 * UTC with exactly six fraction digits (formatMicros), so that comparing them as strings
 * compares the instants.
 */
export interface TokenStore {
  addToken(token: StoredToken): Promise<void>
  findToken(id: string): Promise<StoredToken | undefined>
  listTokens(): Promise<TokenInfo[]>
  /** Marks a token revoked; false when there is no such token. */
  revokeToken(id: string, at: string): Promise<boolean>
  /**
   * Rotation, in one step: stores `replacement` and marks token `id` replaced by it, its expiry
   * brought forward to `until` (an earlier expiry is kept). Nothing changes unless token `id` is
   * active at `replacement.created_at`: not revoked, not expired, not replaced already.
   * Returns token `id` as it is afterwards — its `replaced_by` tells whether this rotation
   * happened — or undefined when there is no such token.
   */
  rotateToken(id: string, replacement: StoredToken, until: string): Promise<TokenInfo | undefined>
  /** Number of tokens usable at `at` (RFC 3339): not revoked, not expired by then. */
  countActiveTokens(at: string): Promise<number>
}
