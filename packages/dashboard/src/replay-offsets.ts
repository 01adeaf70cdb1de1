/**
 * When each event of a playback is due (src/playback.ts). No DOM here.
 */
import { type StoredEvent, timestampMillis } from '@tradetrail/core/browser'

/** The longest wait between two replayed events, however far apart they were (ms). */
export const MAX_WAIT_MS = 2000

/** When each event is due, in ms after the replay started: `ts` differences over `speed`, a wait at most MAX_WAIT_MS. */
export function replayOffsets(events: readonly Pick<StoredEvent, 'ts'>[], speed: number): number[] {
  const offsets: number[] = []
  let at = 0
  events.forEach((e, i) => {
    if (i > 0) at += Math.min(MAX_WAIT_MS, Math.max(0, timestampMillis(e.ts) - timestampMillis(events[i - 1]!.ts)) / speed)
    offsets.push(at)
  })
  return offsets
}
