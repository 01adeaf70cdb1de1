/**
 * The event model, wire format v1: names, limits and types. The TypeBox schema built from
 * them is in event-schema.ts (a separate entry point, `@tradetrail/core/schema`, so that
 * code which only validates never loads TypeBox). See docs/api.md for the prose version.
 */
export const EVENT_TYPES = [
  'boot', 'shutdown', 'error', 'trade_opened', 'trade_closed', 'order_submitted', 'order_filled',
  'order_cancelled', 'order_rejected', 'risk_limit_breach', 'kill_switch', 'auto_repair', 'self_heal',
  'config_change', 'test', 'unclassified_event',
] as const
export type PredefinedEventType = (typeof EVENT_TYPES)[number]
export const DEFAULT_EVENT_TYPE: PredefinedEventType = 'unclassified_event'

/** Event types that move money; a project not granted `execute_trade` is flagged when it sends one. */
export const TRADING_EVENT_TYPES: ReadonlySet<string> = new Set([
  'trade_opened', 'trade_closed', 'order_submitted', 'order_filled', 'order_cancelled', 'order_rejected',
])

/** Severities from least to most severe; the index is the rank used by "minimum severity" filters. */
export const SEVERITIES = ['debug', 'info', 'notice', 'warning', 'error', 'critical'] as const
export type Severity = (typeof SEVERITIES)[number]
export const DEFAULT_SEVERITY: Severity = 'info'
const SEVERITY_RANKS: ReadonlyMap<string, number> = new Map(SEVERITIES.map((s, i) => [s, i]))
/** Rank of a severity (debug = 0 … critical = 5), or -1 for an unknown name. */
export function severityRank(severity: string): number {
  return SEVERITY_RANKS.get(severity) ?? -1
}

export const PRIVILEGES = ['execute_trade', 'post_mortem_analysis', 'live_monitoring', 'utilities'] as const
export type Privilege = (typeof PRIVILEGES)[number]

/** The project under which Tradetrail records its own actions (start, stop, tokens, verification). */
export const SELF_PROJECT = 'tradetrail'

export const LIMITS = Object.freeze({
  /** Bytes of UTF-8 in `message`. */
  messageBytes: 8 * 1024,
  /** Bytes of the canonical JSON of `data`. */
  dataBytes: 64 * 1024,
  /** Bytes of the canonical JSON of `metadata`. */
  metadataBytes: 16 * 1024,
  /** Characters of `source` and `actor`. */
  labelChars: 128,
})

export const PROJECT_PATTERN = '^[A-Za-z0-9_.-]{1,64}$'
export const TYPE_PATTERN = '^[a-z][a-z0-9_.:-]{0,63}$'
/** Any RFC 9562 UUID in lower case; clients should send version 7. */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

/** An event after validation: defaults filled in, every field in its final form. */
export interface NormalizedEvent {
  id: string
  ts: string
  project: string
  type: string
  severity: Severity
  message: string
  source?: string
  actor?: string
  data?: Record<string, unknown>
  metadata?: Record<string, unknown>
}

/** An event as the trail holds it. */
export interface StoredEvent extends NormalizedEvent {
  seq: number
  received_at: string
  /** Server-set flags such as `privilege_violation`; absent when there are none. */
  flags?: string[]
  /** Hex SHA-256 chain hash. */
  hash: string
  /**
   * Who submitted it: `token:<id>`, `cli:<user>@<host>` or `collector`. Covered by the chain
   * hash; absent on events stored before submitters were recorded.
   */
  submitter?: string
}

/** Fields a producer may not send. */
export const SERVER_FIELDS: ReadonlySet<string> = new Set(['seq', 'received_at', 'hash', 'flags', 'submitter'])
