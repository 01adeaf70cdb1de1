/**
 * The configuration of every command (`serve`, `log`, `verify`, …): built-in defaults, then an
 * optional JSON config file (`--config` or TRADETRAIL_CONFIG), then TRADETRAIL_* environment
 * variables (and the seeds' aliases), then flags, each later source winning. Every value is checked once, here; a bad one stops the start
 * with the name of the variable, key or flag and what is wrong with it. The result is frozen.
 */
import { readFileSync } from 'node:fs'
import { ERR_CONFIG_INVALID, durationMillis, formatDuration, isOneLineReason } from '@tradetrail/core'
import type { ChannelKind } from './notify/notifier.ts'
import { NO_NOTIFY_SECTION, type NotifySection, checkRouteChannels, parseNotifySection } from './notify/rule-config.ts'
import { type ChatKind, webhookKind } from './notify/webhook-kind.ts'

export interface TradetrailConfig {
  host: string
  port: number
  dataDir: string
  /** Refuse an unsafe data directory instead of warning. */
  strict: boolean
  tlsCert: string | undefined
  tlsKey: string | undefined
  /** Largest request body, after gzip decompression. */
  maxBodyBytes: number
  /** Most events in one POST /v1/events. */
  maxBatchEvents: number
  /** Requests per second allowed per token (token bucket), and the burst above it. */
  rateLimitPerSecond: number
  rateLimitBurst: number
  /** Most simultaneous TCP connections. */
  maxConnections: number
  /** Most connections waiting for their first authenticated request, in all and from one remote address. */
  maxUnauthenticatedConnections: number
  maxUnauthenticatedPerAddress: number
  /** A request head must be complete this long (ms) after the connection opens or the request's first byte. */
  headTimeoutMs: number
  /** /readyz says not ready while the data volume has less free space than this. */
  minFreeBytes: number
  /** Sign a checkpoint every N events or T milliseconds. */
  checkpointEvery: number
  checkpointIntervalMs: number
  /** Purge events older than this (ms); undefined keeps everything. */
  retentionMs: number | undefined
  /** No purge removes events younger than this (ms) unless `retentionBelowMinimum` gives a reason. */
  retentionMinMs: number
  /** The reason to purge below the minimum retention anyway (an explicit override, logged and recorded), or undefined. */
  retentionBelowMinimum: string | undefined
  /** Witnesses (docs/operations.md, "Witnesses"): a directory on another volume or a WORM mount… */
  witnessDir: string | undefined
  /** …and/or an HTTPS endpoint that each checkpoint and anchor is POSTed to, with its bearer token and extra CA certificates (PEM file). */
  witnessUrl: string | undefined
  witnessToken: string | undefined
  witnessCa: string | undefined
  /** A POST to the witness endpoint fails when no answer came by then. */
  witnessTimeoutMs: number
  /** Retries double from 1 s up to this. */
  witnessRetryMaxMs: number
  /** Flag a batch `clock_skew` when its client reports a clock offset above this (ms); 0 never flags. */
  clockSkewMs: number
  /** Live streams (GET /v1/stream, /ws/audit): most open at once per token, bytes queued per client before its live events are skipped as a gap, and the heartbeat interval. */
  streamMaxPerToken: number
  streamBufferBytes: number
  streamHeartbeatMs: number
  /** Slack or Discord webhook for alerts and summaries (seed 000: QT_ALERT_WEBHOOK). Used by notifications. */
  alertWebhook: string | undefined
  /** Where summaries and alerts are mailed (QT_AUDIT_EMAIL) and through which server. Used by notifications. */
  auditEmail: string | undefined
  smtpServer: string | undefined
  smtpPort: number
  /** Which chat `alertWebhook` is, when its URL does not tell (a proxy, a test receiver). */
  alertWebhookKind: ChatKind | undefined
  /** A generic HTTP webhook for notifications, and the secret its requests are signed with (HMAC-SHA256). */
  notifyWebhookUrl: string | undefined
  notifyWebhookSecret: string | undefined
  /** SMTP login, sender, STARTTLS required, extra CA certificates (PEM file). */
  smtpUser: string | undefined
  smtpPassword: string | undefined
  smtpFrom: string | undefined
  smtpRequireTls: boolean
  smtpCa: string | undefined
  /** A channel that has not answered by then has failed (ms). */
  notifyTimeoutMs: number
  /** Failed notifications are retried after about 1 s, 2 s, 4 s, … up to this (ms), until delivered. */
  notifyRetryMaxMs: number
  /** Configured alert rules, quiet hours and the rate limit per channel: the config file's `notify` section only. */
  notify: NotifySection
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
}

type Parser<T> = (raw: string) => T

/** Longest a whole request may take to arrive (Node's requestTimeout). */
export const REQUEST_TIMEOUT_MS = 60_000

/** The settings that are one value each, from any source; `notify` is a structured section of the file. */
type SettingKey = Exclude<keyof TradetrailConfig, 'notify'>

interface Setting<K extends SettingKey> {
  key: K
  /** Environment variables, the canonical one first, then aliases. */
  env: string[]
  parse: Parser<TradetrailConfig[K]>
  default: TradetrailConfig[K]
  /** The command-line flag, when it is not the key in kebab-case. */
  flag?: string
  /** A credential: an error about it never quotes its value. */
  secret?: boolean
}

class Invalid extends Error {}

const integer = (min: number, max: number): Parser<number> => (raw) => {
  if (!/^\d+$/.test(raw.trim())) throw new Invalid(`must be a whole number from ${min} to ${max}`)
  const n = Number(raw)
  if (n < min || n > max) throw new Invalid(`must be from ${min} to ${max}`)
  return n
}
const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3 }
const bytes: Parser<number> = (raw) => {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(raw.trim())
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined
  if (!m || unit === undefined) throw new Invalid('must be a size such as 1048576, 512KiB or 8MiB')
  return Number(m[1]) * unit
}
/** `250ms`, `60s`, `12h`, `90d`, `5y`, at most `maxMs`. */
const duration = (maxMs = Infinity): Parser<number> => (raw) => {
  const ms = durationMillis(raw.trim())
  if (ms === undefined || ms === 0) throw new Invalid('must be a duration such as 500ms, 60s, 12h, 90d or 5y')
  if (ms > maxMs) throw new Invalid(`must be at most ${maxMs / 1000}s`)
  return ms
}
const optional = <T>(parse: Parser<T>): Parser<T | undefined> => (raw) => (raw.trim() === '' ? undefined : parse(raw))
const reason: Parser<string> = (raw) => {
  if (!isOneLineReason(raw)) throw new Invalid('must be a single line of 1 to 200 characters saying why')
  return raw
}
const text: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new Invalid('must not be empty')
  return raw
}
const boolean: Parser<boolean> = (raw) => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true
  if (/^(0|false|no|off)$/i.test(raw)) return false
  throw new Invalid('must be true or false')
}
const url: Parser<string> = (raw) => {
  let parsed: URL
  try {
    parsed = new URL(raw)
  } catch {
    throw new Invalid('must be an http(s) URL')
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new Invalid('must be an http(s) URL')
  return raw
}
/** https, or plain http to this machine only (a local relay): the bearer token must not cross a network in clear. */
const witnessUrl: Parser<string> = (raw) => {
  const parsed = URL.canParse(raw) ? new URL(raw) : undefined
  const loopback = parsed !== undefined && /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(parsed.hostname)
  if (parsed?.protocol !== 'https:' && !(parsed?.protocol === 'http:' && loopback)) throw new Invalid('must be an https URL (plain http only to this machine: localhost, 127.0.0.1, [::1])')
  return raw
}
/** Sent in an Authorization header: visible ASCII only, so that it cannot break the header. */
const headerToken: Parser<string> = (raw) => {
  if (!/^[\x21-\x7e]+$/.test(raw)) throw new Invalid('must be printable ASCII without spaces')
  return raw
}
const emails: Parser<string> = (raw) => {
  for (const address of raw.split(',')) if (!/^[^@\s]+@[^@\s]+$/.test(address.trim())) throw new Invalid(`"${address.trim()}" is not an email address`)
  return raw
}
const host: Parser<string> = (raw) => {
  if (!/^[A-Za-z0-9.:[\]-]+$/.test(raw)) throw new Invalid('must be a host name or IP address')
  return raw
}
const chatKind: Parser<ChatKind> = (raw) => {
  if (raw !== 'slack' && raw !== 'discord') throw new Invalid('must be slack or discord')
  return raw
}
const secret: Parser<string> = (raw) => {
  if (raw.length < 16) throw new Invalid('must be at least 16 characters')
  return raw
}
const level: Parser<TradetrailConfig['logLevel']> = (raw) => {
  const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
  if (!(levels as readonly string[]).includes(raw)) throw new Invalid(`must be one of ${levels.join(', ')}`)
  return raw as TradetrailConfig['logLevel']
}

const SETTINGS: { [K in SettingKey]: Setting<K> } = {
  host: { key: 'host', env: ['TRADETRAIL_HOST'], parse: host, default: '127.0.0.1' },
  port: { key: 'port', env: ['TRADETRAIL_PORT'], parse: integer(0, 65535), default: 9324 },
  dataDir: { key: 'dataDir', env: ['TRADETRAIL_DATA_DIR'], parse: text, default: './data' },
  strict: { key: 'strict', env: ['TRADETRAIL_STRICT'], parse: boolean, default: false },
  tlsCert: { key: 'tlsCert', env: ['TRADETRAIL_TLS_CERT'], parse: optional(text), default: undefined },
  tlsKey: { key: 'tlsKey', env: ['TRADETRAIL_TLS_KEY'], parse: optional(text), default: undefined },
  maxBodyBytes: { key: 'maxBodyBytes', env: ['TRADETRAIL_MAX_BODY_BYTES'], parse: bytes, default: 8 * 1024 * 1024 },
  maxBatchEvents: { key: 'maxBatchEvents', env: ['TRADETRAIL_MAX_BATCH_EVENTS'], parse: integer(1, 100_000), default: 10_000 },
  rateLimitPerSecond: { key: 'rateLimitPerSecond', env: ['TRADETRAIL_RATE_LIMIT'], parse: integer(1, 10_000_000), default: 50_000 },
  rateLimitBurst: { key: 'rateLimitBurst', env: ['TRADETRAIL_RATE_LIMIT_BURST'], parse: integer(1, 10_000_000), default: 100_000 },
  maxConnections: { key: 'maxConnections', env: ['TRADETRAIL_MAX_CONNECTIONS'], parse: integer(1, 1_000_000), default: 4096 },
  maxUnauthenticatedConnections: { key: 'maxUnauthenticatedConnections', env: ['TRADETRAIL_MAX_UNAUTHENTICATED_CONNECTIONS'], parse: integer(1, 1_000_000), default: 1024 },
  maxUnauthenticatedPerAddress: { key: 'maxUnauthenticatedPerAddress', env: ['TRADETRAIL_MAX_UNAUTHENTICATED_PER_ADDRESS'], parse: integer(1, 1_000_000), default: 256 },
  // At most REQUEST_TIMEOUT_MS: Node refuses a head deadline longer than the whole request's.
  headTimeoutMs: { key: 'headTimeoutMs', env: ['TRADETRAIL_HEAD_TIMEOUT'], parse: duration(REQUEST_TIMEOUT_MS), default: 10_000, flag: '--head-timeout' },
  minFreeBytes: { key: 'minFreeBytes', env: ['TRADETRAIL_MIN_FREE_BYTES'], parse: bytes, default: 256 * 1024 * 1024 },
  checkpointEvery: { key: 'checkpointEvery', env: ['TRADETRAIL_CHECKPOINT_EVERY'], parse: integer(1, 100_000_000), default: 10_000 },
  checkpointIntervalMs: { key: 'checkpointIntervalMs', env: ['TRADETRAIL_CHECKPOINT_INTERVAL'], parse: duration(), default: 60_000 },
  retentionMs: { key: 'retentionMs', env: ['TRADETRAIL_RETENTION'], parse: optional(duration()), default: undefined, flag: '--retention' },
  // MiFID II keeps records five years.
  retentionMinMs: { key: 'retentionMinMs', env: ['TRADETRAIL_RETENTION_MIN'], parse: duration(), default: durationMillis('5y')!, flag: '--retention-min' },
  retentionBelowMinimum: {
    key: 'retentionBelowMinimum', env: ['TRADETRAIL_RETENTION_BELOW_MINIMUM'], parse: optional(reason), default: undefined, flag: '--below-minimum-retention',
  },
  witnessDir: { key: 'witnessDir', env: ['TRADETRAIL_WITNESS_DIR'], parse: optional(text), default: undefined },
  witnessUrl: { key: 'witnessUrl', env: ['TRADETRAIL_WITNESS_URL'], parse: optional(witnessUrl), default: undefined },
  witnessToken: { key: 'witnessToken', env: ['TRADETRAIL_WITNESS_TOKEN'], parse: optional(headerToken), default: undefined, secret: true },
  witnessCa: { key: 'witnessCa', env: ['TRADETRAIL_WITNESS_CA'], parse: optional(text), default: undefined },
  witnessTimeoutMs: { key: 'witnessTimeoutMs', env: ['TRADETRAIL_WITNESS_TIMEOUT'], parse: duration(REQUEST_TIMEOUT_MS), default: 10_000 },
  witnessRetryMaxMs: { key: 'witnessRetryMaxMs', env: ['TRADETRAIL_WITNESS_RETRY_MAX'], parse: duration(), default: 300_000 },
  // CAT wants clocks within 50 ms of UTC.
  clockSkewMs: { key: 'clockSkewMs', env: ['TRADETRAIL_CLOCK_SKEW_MS'], parse: integer(0, 86_400_000), default: 50 },
  streamMaxPerToken: { key: 'streamMaxPerToken', env: ['TRADETRAIL_STREAM_MAX_PER_TOKEN'], parse: integer(1, 100_000), default: 32 },
  streamBufferBytes: { key: 'streamBufferBytes', env: ['TRADETRAIL_STREAM_BUFFER_BYTES'], parse: bytes, default: 4 * 1024 * 1024 },
  streamHeartbeatMs: { key: 'streamHeartbeatMs', env: ['TRADETRAIL_STREAM_HEARTBEAT'], parse: duration(600_000), default: 15_000 },
  alertWebhook: { key: 'alertWebhook', env: ['TRADETRAIL_ALERT_WEBHOOK', 'QT_ALERT_WEBHOOK'], parse: optional(url), default: undefined },
  auditEmail: { key: 'auditEmail', env: ['TRADETRAIL_AUDIT_EMAIL', 'QT_AUDIT_EMAIL'], parse: optional(emails), default: undefined },
  smtpServer: { key: 'smtpServer', env: ['TRADETRAIL_SMTP_SERVER', 'QT_SMTP_SERVER'], parse: optional(host), default: undefined },
  smtpPort: { key: 'smtpPort', env: ['TRADETRAIL_SMTP_PORT', 'QT_SMTP_PORT'], parse: integer(1, 65535), default: 25 },
  alertWebhookKind: { key: 'alertWebhookKind', env: ['TRADETRAIL_ALERT_WEBHOOK_KIND'], parse: optional(chatKind), default: undefined },
  notifyWebhookUrl: { key: 'notifyWebhookUrl', env: ['TRADETRAIL_NOTIFY_WEBHOOK_URL'], parse: optional(url), default: undefined },
  notifyWebhookSecret: { key: 'notifyWebhookSecret', env: ['TRADETRAIL_NOTIFY_WEBHOOK_SECRET'], parse: optional(secret), default: undefined, secret: true },
  smtpUser: { key: 'smtpUser', env: ['TRADETRAIL_SMTP_USER'], parse: optional(text), default: undefined },
  smtpPassword: { key: 'smtpPassword', env: ['TRADETRAIL_SMTP_PASSWORD'], parse: optional(text), default: undefined, secret: true },
  smtpFrom: { key: 'smtpFrom', env: ['TRADETRAIL_SMTP_FROM'], parse: optional(emails), default: undefined },
  smtpRequireTls: { key: 'smtpRequireTls', env: ['TRADETRAIL_SMTP_REQUIRE_TLS'], parse: boolean, default: false },
  smtpCa: { key: 'smtpCa', env: ['TRADETRAIL_SMTP_CA'], parse: optional(text), default: undefined },
  notifyTimeoutMs: { key: 'notifyTimeoutMs', env: ['TRADETRAIL_NOTIFY_TIMEOUT'], parse: duration(REQUEST_TIMEOUT_MS), default: 10_000 },
  notifyRetryMaxMs: { key: 'notifyRetryMaxMs', env: ['TRADETRAIL_NOTIFY_RETRY_MAX'], parse: duration(), default: 300_000 },
  logLevel: { key: 'logLevel', env: ['TRADETRAIL_LOG_LEVEL'], parse: level, default: 'info' },
}

export interface ConfigSources {
  /** Path of a JSON config file whose keys are TradetrailConfig's. */
  file?: string
  env?: NodeJS.ProcessEnv
  /** Values from command-line flags, as strings, keyed like TradetrailConfig. */
  flags?: Partial<Record<SettingKey, string | boolean | undefined>>
}

/** Resolves the configuration; throws TT_ERR_CONFIG_INVALID naming the source of a bad value. */
export function loadConfig(sources: ConfigSources = {}): Readonly<TradetrailConfig> {
  const env = sources.env ?? process.env
  const config = Object.fromEntries(Object.values(SETTINGS).map((s) => [s.key, s.default])) as unknown as Record<string, unknown>
  config.notify = NO_NOTIFY_SECTION
  /** Where each value that is not a default came from, and as what text: checks across settings name it. */
  const given: Partial<Record<SettingKey, { source: string; raw: string }>> = {}
  const apply = (setting: Setting<SettingKey>, raw: string, source: string): void => {
    try {
      config[setting.key] = setting.parse(raw)
      given[setting.key] = { source, raw }
    } catch (error) {
      if (error instanceof Invalid) throw ERR_CONFIG_INVALID.create(source, setting.secret === true ? '' : raw, error.message)
      throw error
    }
  }
  const file = sources.file ?? env.TRADETRAIL_CONFIG
  if (file !== undefined && file !== '') {
    let parsed: unknown
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw ERR_CONFIG_INVALID.create(`config file ${file}`, '', (error as Error).message)
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw ERR_CONFIG_INVALID.create(`config file ${file}`, '', 'must hold a JSON object')
    for (const [key, value] of Object.entries(parsed)) {
      if (key === 'notify') {
        config.notify = parseNotifySection(value, file)
        continue
      }
      const setting = (SETTINGS as Record<string, Setting<SettingKey>>)[key]
      if (setting === undefined) throw ERR_CONFIG_INVALID.create(`"${key}" in ${file}`, '', `is not a setting; known: ${Object.keys(SETTINGS).join(', ')}, notify`)
      apply(setting, typeof value === 'string' ? value : JSON.stringify(value), `"${key}" in ${file}`)
    }
  }
  for (const setting of Object.values(SETTINGS) as Array<Setting<SettingKey>>) {
    // The canonical name wins over an alias when both are set.
    const name = setting.env.find((n) => env[n] !== undefined)
    if (name !== undefined) apply(setting, env[name]!, name)
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue
    const setting = (SETTINGS as Record<string, Setting<SettingKey>>)[key]!
    apply(setting, String(value), setting.flag ?? `--${key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`)
  }
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
    throw ERR_CONFIG_INVALID.create(config.tlsCert === undefined ? 'TRADETRAIL_TLS_CERT' : 'TRADETRAIL_TLS_KEY', '', 'TLS needs both a certificate and a key')
  }
  // Node refuses connections beyond maxConnections before the collector sees them: were the
  // waiting ones allowed to fill every slot, no older one could be closed to let a producer in.
  if ((config.maxUnauthenticatedConnections as number) >= (config.maxConnections as number)) {
    throw ERR_CONFIG_INVALID.create('TRADETRAIL_MAX_UNAUTHENTICATED_CONNECTIONS', String(config.maxUnauthenticatedConnections),
      `must be below TRADETRAIL_MAX_CONNECTIONS (${config.maxConnections}), so that producers always find a free connection`)
  }
  for (const [key, name] of [['witnessToken', 'TRADETRAIL_WITNESS_TOKEN'], ['witnessCa', 'TRADETRAIL_WITNESS_CA']] as const) {
    if (config[key] !== undefined && config.witnessUrl === undefined) throw ERR_CONFIG_INVALID.create(name, '', 'is set, but TRADETRAIL_WITNESS_URL is not: it belongs to the witness endpoint')
  }
  if ((config.rateLimitBurst as number) < (config.rateLimitPerSecond as number)) {
    throw ERR_CONFIG_INVALID.create('TRADETRAIL_RATE_LIMIT_BURST', String(config.rateLimitBurst), 'must be at least TRADETRAIL_RATE_LIMIT')
  }
  checkNotifications(config as unknown as TradetrailConfig, given)
  if (file !== undefined && file !== '') checkRouteChannels(config.notify as NotifySection, configuredChannels(config as unknown as TradetrailConfig), file)
  const { retentionMs, retentionMinMs, retentionBelowMinimum } = config as unknown as TradetrailConfig
  if (retentionMs !== undefined && retentionMs < retentionMinMs && retentionBelowMinimum === undefined) {
    throw ERR_CONFIG_INVALID.create(given.retentionMs!.source, given.retentionMs!.raw,
      `is shorter than the minimum retention, ${formatDuration(retentionMinMs)} (retentionMinMs, TRADETRAIL_RETENTION_MIN); ` +
      'to purge below it anyway, give the reason with --below-minimum-retention (TRADETRAIL_RETENTION_BELOW_MINIMUM): it is logged and recorded in the trail')
  }
  return Object.freeze(config as unknown as TradetrailConfig)
}

/** Settings of the notification channels that only make sense together, and a webhook whose chat is known. */
function checkNotifications(config: TradetrailConfig, given: Partial<Record<SettingKey, { source: string; raw: string }>>): void {
  const needs = (key: SettingKey, other: SettingKey, why: string): void => {
    if (config[key] !== undefined && config[other] === undefined) throw ERR_CONFIG_INVALID.create(given[key]!.source, '', `is set, but ${envOf(other)} is not: ${why}`)
  }
  needs('alertWebhookKind', 'alertWebhook', 'it says which chat that webhook is')
  needs('notifyWebhookUrl', 'notifyWebhookSecret', 'every request to the webhook is signed with the secret')
  needs('notifyWebhookSecret', 'notifyWebhookUrl', 'it signs the requests to that webhook')
  needs('smtpPassword', 'smtpUser', 'the password logs in as that user')
  if (config.alertWebhook !== undefined && config.alertWebhookKind === undefined && webhookKind(config.alertWebhook) === undefined) {
    throw ERR_CONFIG_INVALID.create(given.alertWebhook!.source, given.alertWebhook!.raw,
      'is neither a Slack webhook (https://hooks.slack.com/services/…) nor a Discord one (https://discord.com/api/webhooks/…); ' +
      'for a proxy or a relay, say which with TRADETRAIL_ALERT_WEBHOOK_KIND=slack or discord')
  }
}

/** The channels of the default route, which configured rules route to (as notify/default-route.ts makes them). */
export function configuredChannels(config: Pick<TradetrailConfig, 'alertWebhook' | 'alertWebhookKind' | 'auditEmail' | 'notifyWebhookUrl'>): ChannelKind[] {
  const channels: ChannelKind[] = []
  if (config.alertWebhook !== undefined) channels.push(config.alertWebhookKind ?? webhookKind(config.alertWebhook)!)
  if (config.auditEmail !== undefined) channels.push('email')
  if (config.notifyWebhookUrl !== undefined) channels.push('webhook')
  return channels
}

const envOf = (key: SettingKey): string => SETTINGS[key].env[0]!

/**
 * The text of a file a setting names (a CA certificate), read when it is first needed; one that
 * cannot be read stops the start with an error naming the variable.
 */
export function readSettingFile(variable: string, path: string | undefined): string | undefined {
  if (path === undefined) return undefined
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw ERR_CONFIG_INVALID.create(variable, path, `cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

/** Every setting with its variables and default, for docs and `serve --help`. */
export function describeSettings(): Array<{ key: string; env: string[]; default: unknown }> {
  return Object.values(SETTINGS).map((s) => ({ key: s.key, env: s.env, default: s.default }))
}
