/** `tradetrail token create|list|revoke`: offline on the data directory, or through a collector with --url. */
import { type Command, Option } from 'commander'
import {
  CLI_RULES, ERR_CLI_USAGE, ERR_COLLECTOR_NOT_TRADETRAIL, ERR_COLLECTOR_REFUSED, ERR_COLLECTOR_UNREACHABLE, SCOPES, type Scope, type TokenInfo, type TokenStore,
} from '@tradetrail/core'
import { issueToken, type IssuedToken, revokeToken, tokenId } from '../auth/tokens.ts'
import { withTrail } from './cli-context.ts'
import { globalOptions } from './cli-options.ts'
import { printJson } from './cli-output.ts'

const collect = (value: string, previous: string[]): string[] => [...previous, value]

interface Remote {
  url?: string
  token?: string
}

/** Calls the collector's admin API; the admin token comes from --token or TRADETRAIL_TOKEN. */
async function remote<T>(flags: Remote, method: string, path: string, body?: unknown): Promise<T> {
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

/** Opens the trail for an offline change of its tokens, and records the change in the trail. */
async function offline<T>(command: Command, fn: (tokens: TokenStore, note: (type: string, message: string, data: Record<string, unknown>) => Promise<void>) => Promise<T>): Promise<T> {
  return withTrail(command, 'command', async (trail) => fn(trail.tokens, async (type, message, data) => {
    await trail.record(type, message, data)
  }))
}

function describe(t: TokenInfo): string {
  const scope = t.scope === 'ingest' ? `ingest ${t.projects.join(',')}${t.privileges.length > 0 ? ` [${t.privileges.join(',')}]` : ''}` : t.scope
  return `${t.id}  ${scope}  created ${t.created_at}${t.revoked_at ? `  REVOKED ${t.revoked_at}` : ''}${t.label ? `  ${t.label}` : ''}`
}

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('manage API tokens (stored hashed; a secret is shown once)')
  const withRemote = (c: Command): Command => c
    .option('--url <url>', 'manage through this collector instead of the data directory')
    .option('--token <token>', 'admin token for --url (default $TRADETRAIL_TOKEN)')

  withRemote(token.command('create'))
    .description('create a token and print it once')
    .addOption(new Option('--scope <scope>', 'what it may do').choices([...SCOPES]).makeOptionMandatory())
    .option('--project <name>', 'a project an ingest token may write; repeat for more, "*" for any', collect, [])
    .option('--privilege <name>', 'a privilege granted to its projects (execute_trade, …); repeat for more', collect, [])
    .option('--label <text>', 'a note to recognise it by')
    .action(async (flags: Remote & { scope: Scope; project: string[]; privilege: string[]; label?: string }, command: Command) => {
      const request = { scope: flags.scope, projects: flags.project, privileges: flags.privilege, label: flags.label }
      const issued = flags.url !== undefined
        ? await remote<IssuedToken>(flags, 'POST', '/v1/tokens', { ...request, label: request.label ?? null })
        : await offline(command, async (tokens, note) => {
          const created = await issueToken(tokens, request)
          const { token: _secret, ...info } = created
          await note('token_created', `Token ${created.id} created (${created.scope})`, { ...info })
          return created
        })
      if (globalOptions(command).json) printJson(issued)
      else process.stdout.write(`${issued.token}\n(${describe(issued)}; shown once)\n`)
    })

  withRemote(token.command('list'))
    .description('list tokens (never their secrets)')
    .action(async (flags: Remote, command: Command) => {
      const list = flags.url !== undefined
        ? (await remote<{ tokens: TokenInfo[] }>(flags, 'GET', '/v1/tokens')).tokens
        : await offline(command, (tokens) => tokens.listTokens())
      if (globalOptions(command).json) printJson(list)
      else for (const t of list) process.stdout.write(describe(t) + '\n')
    })

  withRemote(token.command('revoke'))
    .description('revoke a token at once')
    .argument('<id>', 'the token id (the part after tt_) or the whole token')
    .action(async (idOrToken: string, flags: Remote, command: Command) => {
      const id = tokenId(idOrToken)
      if (flags.url !== undefined) await remote(flags, 'DELETE', `/v1/tokens/${encodeURIComponent(id)}`)
      else {
        await offline(command, async (tokens, note) => {
          await revokeToken(tokens, id)
          await note('token_revoked', `Token ${id} revoked`, { id })
        })
      }
      if (globalOptions(command).json) printJson({ id, revoked: true })
      else process.stdout.write(`revoked ${id}\n`)
    })
}
