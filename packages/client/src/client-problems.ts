/**
 * What the client does with trouble: every problem goes to the error handler; conditions that
 * last (a full spool, clock skew, a full queue) are reported once until they clear; an event
 * given up is counted and written to stderr (AUDIT_EMERGENCY) so a person can still recover it.
 */
import type { TradetrailError } from '@tradetrail/core'
import { writeEmergency } from './emergency.ts'
import type { ErrorHandler } from './error-reporter.ts'

/** The client's problem reporting and its count of events given up. */
export class ClientProblems {
  /** Reports one problem through the client's error handler. */
  readonly report: ErrorHandler
  readonly #reported = new Set<string>()
  #dropped = 0

  constructor(report: ErrorHandler) {
    this.report = report
  }

  /** Events given up so far. */
  get dropped(): number {
    return this.#dropped
  }

  /** Gives up one event: counted, reported (when `error` is given), and written to stderr. */
  drop(error: TradetrailError | undefined, eventJson: string): void {
    this.#dropped++
    if (error) this.report(error)
    writeEmergency(eventJson)
  }

  /** Counts an event given up that cannot even be written to stderr (it could not be read). */
  lost(): void {
    this.#dropped++
  }

  /** Reports `error` once until the condition clears (`cleared`). */
  reportOnce(error: TradetrailError): void {
    if (this.#reported.has(error.code)) return
    this.#reported.add(error.code)
    this.report(error)
  }

  /** The condition of `code` is over: its next occurrence is reported again. */
  cleared(code: string): void {
    this.#reported.delete(code)
  }
}
