/**
 * RFC 3339 UTC timestamps. The trail keeps the string a producer sent (nanoseconds
 * included, never rounded); for ordering and range filters it derives a fixed-width
 * key, `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`, whose string order is time order.
 */

const RFC3339_UTC = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:[Zz]|[+-]00:00)$/
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const ZEROS = '000000000'

/**
 * The sortable key of an RFC 3339 UTC timestamp, or `undefined` when the string is not
 * one (wrong shape, impossible date, a non-zero offset, a leap second).
 */
export function timestampKey(value: string): string | undefined {
  const m = RFC3339_UTC.exec(value)
  if (m === null) return undefined
  const year = +m[1]!, month = +m[2]!, day = +m[3]!
  if (month < 1 || month > 12 || day < 1 || day > DAYS_IN_MONTH[month - 1]!) return undefined
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return undefined
  if (+m[4]! > 23 || +m[5]! > 59 || +m[6]! > 59) return undefined
  const fraction = m[7] ?? ''
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${fraction}${ZEROS.slice(fraction.length)}Z`
}

/** Milliseconds since the epoch of an RFC 3339 UTC string (fraction truncated to ms); NaN when it is not one. */
export function timestampMillis(value: string): number {
  const key = timestampKey(value)
  return key === undefined ? NaN : Date.parse(key.slice(0, 23) + 'Z')
}

let cachedSecond = NaN
let cachedPrefix = ''

/**
 * RFC 3339 UTC with microseconds, from microseconds since the epoch. Runs once per event in
 * the SDK's batching: the `YYYY-MM-DDTHH:MM:SS` part is kept for the second it was made in,
 * because a Date and its toISOString() cost more than the rest together.
 */
export function formatMicros(micros: number): string {
  const whole = Math.floor(micros)
  const second = Math.floor(whole / 1_000_000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19) // 2025-12-17T21:00:03
  }
  const fraction = String(whole - second * 1_000_000)
  return `${cachedPrefix}.${'000000'.slice(fraction.length)}${fraction}Z`
}

/** RFC 3339 UTC with nanoseconds, from nanoseconds since the epoch. */
export function formatNanos(nanos: bigint): string {
  const ms = nanos / 1_000_000n
  const iso = new Date(Number(ms)).toISOString()
  return `${iso.slice(0, 19)}.${String(nanos - ms * 1_000_000n + (ms % 1000n) * 1_000_000n).padStart(9, '0')}Z`
}

/** Timestamp key of milliseconds since the epoch. */
export function millisKey(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 23)}000000Z`
}

/** The instants RFC 3339 can write: years 0000 to 9999. */
const MIN_MS = Date.parse('0000-01-01T00:00:00Z')
const MAX_MS = Date.parse('9999-12-31T23:59:59.999Z')
const DURATION = /^(\d{1,15})(ms|s|m|h|d|w|y)$/
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 }

/** Milliseconds of a duration such as `500ms`, `30m`, `2h`, `90d` or `5y` (a year is 365 days), or undefined. */
export function durationMillis(value: string): number | undefined {
  const m = DURATION.exec(value)
  return m === null ? undefined : Number(m[1]) * UNIT_MS[m[2]!]!
}

/** A duration in milliseconds as durationMillis reads it, in its largest whole unit: `5y`, `90d`, `1500ms`. */
export function formatDuration(ms: number): string {
  const unit = ['y', 'w', 'd', 'h', 'm', 's'].find((u) => ms % UNIT_MS[u]! === 0 && ms >= UNIT_MS[u]!)
  return unit === undefined ? `${ms}ms` : `${ms / UNIT_MS[unit]!}${unit}`
}

/** Microseconds since the epoch of an RFC 3339 UTC string (fraction truncated to µs); NaN when it is not one. */
export function timestampMicros(value: string): number {
  const key = timestampKey(value)
  return key === undefined ? NaN : Date.parse(key.slice(0, 19) + 'Z') * 1000 + Number(key.slice(20, 26))
}
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/

/**
 * A time bound for filters, as a timestamp key: an RFC 3339 UTC timestamp, a date
 * (`2025-12-17`, meaning its midnight UTC), or a duration ago (`15m`, `2h`, `7d`).
 * `undefined` when the value is none of these.
 */
export function parseTimeBound(value: string, nowMs: number): string | undefined {
  const ago = durationMillis(value)
  if (ago !== undefined) {
    const ms = nowMs - ago
    return ms >= MIN_MS && ms <= MAX_MS ? millisKey(ms) : undefined
  }
  if (DATE_ONLY.test(value)) return timestampKey(`${value}T00:00:00Z`)
  return timestampKey(value)
}
