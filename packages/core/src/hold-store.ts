/**
 * Legal holds: while one is in force, retention removes none of the events it covers. The
 * contract for storing them, so every store adapter can hold them.
 */

/** A legal hold as stored and listed. Times are RFC 3339 UTC. */
export interface LegalHold {
  /** 12 hex digits. */
  id: string
  /** A project hold: covers every event of this project. Null for a time-range hold. */
  project: string | null
  /**
   * A time-range hold: covers every event stamped (`ts`) or received (`received_at`) from `from`
   * (included) to `to` (excluded). Timestamp keys (nanoseconds); null for a project hold.
   */
  from: string | null
  to: string | null
  reason: string
  placed_at: string
  /** Who placed it: `token:<id>` or `cli:<user>@<host>`. */
  placed_by: string
  /** Null while the hold is in force. */
  released_at: string | null
  released_by: string | null
  release_reason: string | null
}

export interface HoldStore {
  placeHold(hold: LegalHold): Promise<void>
  /**
   * Releases hold `id` (sets `released_at`, `released_by`, `release_reason`) unless it was
   * released already; returns the hold as it is afterwards — its `released_at` tells whether this
   * release happened — or undefined when there is no such hold.
   */
  releaseHold(id: string, at: string, by: string, reason: string): Promise<LegalHold | undefined>
  /**
   * Every hold ever placed, released ones included, oldest first. Holds are never deleted, so the
   * length of this list only grows: a purge compares it to tell whether a hold came meanwhile.
   */
  listHolds(): Promise<LegalHold[]>
}

/**
 * Whether `text` is a reason as Tradetrail takes them (for a hold, its release, or a purge below
 * the minimum retention): one line of 1 to 200 characters, so that it reads well in a log line
 * and can be signed as one field of a retention anchor.
 */
export function isOneLineReason(text: string): boolean {
  return text.trim() !== '' && text.length <= 200 && !/[\u0000-\u001f\u007f\u2028\u2029]/.test(text)
}
