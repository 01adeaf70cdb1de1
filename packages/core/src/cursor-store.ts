/**
 * Where each named consumer of the trail got to: a witness, the alert engine, a bus bridge.
 * A consumer records its cursor after it has done its work up to that seq, so a restart resumes
 * from there and redoes at most what came after the last record (consumers are idempotent).
 */
export interface CursorStore {
  /** How far the named consumer got, as it last recorded; undefined before its first record. */
  cursor(name: string): Promise<number | undefined>
  /** Records durably how far the named consumer got. */
  setCursor(name: string, seq: number): Promise<void>
}
