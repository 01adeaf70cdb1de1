/**
 * How a sink tells its owner about trouble without ever throwing into the caller: the
 * `onError` hook when given (its own exceptions are swallowed), otherwise one stderr line per
 * error code per minute, so a dead collector does not flood the bot's log.
 */
import type { TradetrailError } from '@tradetrail/core'

/** Receives every problem a sink meets; the sink keeps going whatever it does. */
export type ErrorHandler = (error: TradetrailError) => void

const QUIET_MS = 60_000

/** A function that reports `error` through `onError`, or to stderr when there is none. */
export function errorReporter(name: string, onError: ErrorHandler | undefined): ErrorHandler {
  if (onError) {
    return (error) => {
      try {
        onError(error)
      } catch {
        // The hook's own failure must not reach the bot either.
      }
    }
  }
  const lastWritten = new Map<string, number>()
  return (error) => {
    const now = Date.now()
    if (now - (lastWritten.get(error.code) ?? -Infinity) < QUIET_MS) return
    lastWritten.set(error.code, now)
    try {
      process.stderr.write(`${name}: ${error.code}: ${error.message}\n`)
    } catch {
      // stderr is gone.
    }
  }
}
