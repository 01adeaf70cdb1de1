/** Commands that can go through a running collector (--url, --token) instead of the data directory. */
import type { Command } from 'commander'
import { CLI_RULES, ERR_CLI_USAGE, ERR_COLLECTOR_NOT_TRADETRAIL, ERR_COLLECTOR_REFUSED, ERR_COLLECTOR_UNREACHABLE } from '@tradetrail/core'

export interface Remote {
  url?: string
  token?: string
}

/** Adds --url and --token: what the command does then, it does through that collector's API, as that token. */
export function withRemote(command: Command, what: string): Command {
  return command
    .option('--url <url>', `${what} through this collector instead of the data directory`)
    .option('--token <token>', 'admin token for --url (default $TRADETRAIL_TOKEN)')
}

/** Calls the collector's admin API; the admin token comes from --token or TRADETRAIL_TOKEN. */
export async function remote<T>(flags: Remote, method: string, path: string, body?: unknown): Promise<T> {
  const token = flags.token ?? process.env.TRADETRAIL_TOKEN
  if (token === undefined) throw ERR_CLI_USAGE.create('--url', CLI_RULES.adminToken)
  let response: Response
  try {
    response = await fetch(new URL(path, flags.url), {
      method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
  } catch (error) {
    // fetch wraps the system error (ENOTFOUND, ECONNREFUSED, …) as its cause; a bad URL has its own code.
    const e = error as NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }
    throw ERR_COLLECTOR_UNREACHABLE.create(flags.url!, e.cause?.code ?? e.code ?? e.cause?.message ?? e.message)
  }
  const answer = await response.json().catch(() => undefined) as { error?: { code?: unknown; message?: unknown } } | undefined
  if (!response.ok) {
    const { code, message } = answer?.error ?? {}
    if (typeof code === 'string' && code.startsWith('TT_ERR_') && typeof message === 'string') throw ERR_COLLECTOR_REFUSED.create(flags.url!, response.status, code, message)
    throw ERR_COLLECTOR_NOT_TRADETRAIL.create(flags.url!, response.status)
  }
  if (answer === undefined) throw ERR_COLLECTOR_NOT_TRADETRAIL.create(flags.url!, response.status)
  return answer as T
}

