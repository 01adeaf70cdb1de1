/**
 * Names the seeds' users already call, so that moving over takes few edits:
 * seed 002's `AuditNotifier`, `ProjectEvents`, `ProjectPrivileges` and `fast_audit`, and
 * seed 000's `log_action`. The one-line helpers keep one sink per project for the process.
 */
import { basename, extname } from 'node:path'
import { DEFAULT_EVENT_TYPE, EVENT_TYPES, PRIVILEGES } from '@tradetrail/core'
import { AuditClient } from './audit-client.ts'
import type { AuditSink } from './audit-sink.ts'
import type { AuditClientOptions } from './client-options.ts'
import type { SendOptions } from './event-record.ts'
import { FileSink } from './file-sink.ts'

type Upper<T extends string> = Uppercase<T>

/** Seed 002's event names: `ProjectEvents.TRADE_OPENED` is `'trade_opened'`. Any other lower-case name works too. */
export const ProjectEvents = Object.freeze(Object.fromEntries(EVENT_TYPES.map((type) => [type.toUpperCase(), type]))) as
  { readonly [K in (typeof EVENT_TYPES)[number] as Upper<K>]: K }

/** Seed 002's privileges: `ProjectPrivileges.EXECUTE_TRADE` is `'execute_trade'`. */
export const ProjectPrivileges = Object.freeze(Object.fromEntries(PRIVILEGES.map((p) => [p.toUpperCase(), p]))) as
  { readonly [K in (typeof PRIVILEGES)[number] as Upper<K>]: K }

/** Seed 002's constructor arguments, in camelCase. */
export interface NotifierOptions extends Omit<AuditClientOptions, 'project'> {
  projectName: string
  projectMarket?: string
  projectDescription?: string
  projectPrivileges?: string | readonly string[]
}

/** Seed 002's `AuditNotifier`: an AuditClient that also takes its constructor's argument names. */
export class AuditNotifier extends AuditClient {
  constructor(options: NotifierOptions | AuditClientOptions) {
    if ('project' in options) {
      super(options)
    } else {
      const { projectName, projectMarket, projectDescription, projectPrivileges, ...rest } = options
      super({
        ...rest,
        project: { name: projectName, market: projectMarket, description: projectDescription, privileges: projectPrivileges },
      })
    }
  }
}

const sinks = new Map<string, AuditSink>()

function envSink(project: string, market: string | undefined): AuditSink {
  const env = process.env
  const key = `${project}\u0000${market ?? ''}`
  const existing = sinks.get(key)
  if (existing) return existing
  const sink: AuditSink = env.TRADETRAIL_TOKEN !== undefined || env.TRADETRAIL_URL !== undefined
    ? new AuditClient({ project: { name: project, market } })
    : new FileSink({ project })
  sinks.set(key, sink)
  return sink
}

/**
 * Seed 002's one-liner: records `message` for project `name`. Configured from the
 * environment: with TRADETRAIL_TOKEN (or TRADETRAIL_URL) set it goes to the collector,
 * otherwise to the JSONL file of TRADETRAIL_LOG_PATH / RISK_AUDIT_LOG_PATH.
 */
export function fastAudit(name: string, market: string, message: string, type: string = DEFAULT_EVENT_TYPE): void {
  try {
    envSink(name, market).send(type, message)
  } catch {
    // Never in the caller's way.
  }
}

/** The project of `logAction`: TRADETRAIL_PROJECT, else the running script's name. */
function scriptProject(): string {
  const fromEnv = process.env.TRADETRAIL_PROJECT
  if (fromEnv) return fromEnv
  const script = process.argv[1] ? basename(process.argv[1], extname(process.argv[1])) : 'script'
  return script.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'script'
}

/** Seed 000's `log_action("Auto-repair: Created database 'quantum'")`, configured as `fastAudit` is. */
export function logAction(message: string, options?: SendOptions & { type?: string }): void {
  try {
    envSink(scriptProject(), undefined).send(options?.type ?? DEFAULT_EVENT_TYPE, message, undefined, options)
  } catch {
    // Never in the caller's way.
  }
}
