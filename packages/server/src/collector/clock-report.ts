/**
 * The clock report a client sends with a batch: its latest NTP-style estimate of the offset
 * between the collector's clock and its own, and the round trip of the sample it came from.
 * The collector answers every ingest with the t1/t2 of that exchange (`clock` in the answer);
 * the client computes offset = ((t1 − t0) + (t2 − t3)) / 2 and reports it with its next batch.
 */
import { CLOCK_OFFSET_HEADER, CLOCK_RTT_HEADER, ERR_HEADER_INVALID } from '@tradetrail/core'

/** Largest magnitude accepted in either header: 10^13 µs, about 116 days; anything beyond is a bug, not a clock. */
export const CLOCK_REPORT_LIMIT_US = 1e13

export interface ClockReport {
  offsetMicros: number
  rttMicros: number
}

const OFFSET_LOWER = CLOCK_OFFSET_HEADER.toLowerCase()
const RTT_LOWER = CLOCK_RTT_HEADER.toLowerCase()
// Digits only: Number() alone would take "0x10", "1e3", " 12 " and "" (= 0).
const SIGNED = /^-?[0-9]+$/
const UNSIGNED = /^[0-9]+$/

/**
 * The clock report of a request's headers (Node's lower-cased header object), or undefined
 * when it carries none. Both headers come together or not at all: a round trip without its
 * offset says nothing, and an offset alone hints at a client bug worth a loud answer.
 * Throws TT_ERR_HEADER_INVALID naming the header and what a valid value looks like.
 */
export function parseClockReport(headers: Readonly<Record<string, string | string[] | undefined>>): ClockReport | undefined {
  const offset = headers[OFFSET_LOWER]
  const rtt = headers[RTT_LOWER]
  if (offset === undefined && rtt === undefined) return undefined
  if (offset === undefined || rtt === undefined) {
    const [sent, missing] = offset === undefined ? [CLOCK_RTT_HEADER, CLOCK_OFFSET_HEADER] : [CLOCK_OFFSET_HEADER, CLOCK_RTT_HEADER]
    throw ERR_HEADER_INVALID.create(sent, `was sent without ${missing}: send both or neither`)
  }
  return {
    offsetMicros: integerHeader(CLOCK_OFFSET_HEADER, offset, SIGNED, 'a signed base-10 integer of microseconds (collector clock minus client clock), e.g. -1250'),
    rttMicros: integerHeader(CLOCK_RTT_HEADER, rtt, UNSIGNED, 'a non-negative base-10 integer of microseconds, e.g. 850'),
  }
}

function integerHeader(name: string, value: string | string[], pattern: RegExp, valid: string): number {
  const limit = `, at most ${CLOCK_REPORT_LIMIT_US} in magnitude`
  // Node joins a repeated custom header with ", ", which the pattern refuses; arrays never come for these names, but the type allows them.
  const raw = Array.isArray(value) ? value.join(', ') : value
  // + 0 turns "-0" into 0, which a gauge would print as -0.
  const n = pattern.test(raw) ? Number(raw) + 0 : NaN
  if (!(Math.abs(n) <= CLOCK_REPORT_LIMIT_US)) throw ERR_HEADER_INVALID.create(name, `must be ${valid}${limit}; got ${JSON.stringify(raw.slice(0, 40))}`)
  return n
}

/** Whether a report's offset is beyond `thresholdMs` (0 turns the check off). */
export function isClockSkewed(report: ClockReport | undefined, thresholdMs: number): boolean {
  return report !== undefined && thresholdMs > 0 && Math.abs(report.offsetMicros) > thresholdMs * 1000
}
