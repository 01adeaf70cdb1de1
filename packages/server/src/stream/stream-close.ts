/**
 * How a stream is refused or ended for a reason: an error frame with the whole error, then a
 * close with code 4000 + the error's HTTP status (4400 a bad filter, 4401 a missing, unknown,
 * revoked or expired token, 4403 a token that may not read this, 4429 too many streams for one
 * token) and a reason that starts with the error's code, cut to the protocol's 123 bytes.
 */
import type { TradetrailError } from '@tradetrail/core'
import type { WebSocket } from 'ws'
import type { StreamFrames } from './stream-frames.ts'

function closeCodeOf(error: TradetrailError): number {
  return 4000 + error.statusCode
}

function closeReasonOf(error: TradetrailError): string {
  let reason = `${error.code}: ${error.message}`
  while (Buffer.byteLength(reason) > 123) reason = reason.slice(0, -2) + '…'
  return reason
}

/** Sends the error frame and closes; what is queued before it is still delivered. */
export function closeWithError(socket: WebSocket, frames: StreamFrames, error: TradetrailError, nowMicros: number): void {
  if (socket.readyState !== socket.OPEN) return
  socket.send(frames.error(error, nowMicros), { binary: false })
  socket.close(closeCodeOf(error), closeReasonOf(error))
}
