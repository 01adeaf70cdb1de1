/** `tradetrail token create|list|revoke`: offline on the data directory, or through a collector with --url. */
import { join } from 'node:path'
import { type Command, Option } from 'commander'
import { ERR_CLI_USAGE, ERR_REMOTE, SCOPES, SELF_PROJECT, type Scope, type TokenInfo, systemClock, validateBatch } from '@tradetrail/core'
import { issueToken, type IssuedToken, revokeToken, tokenId } from '../auth/tokens.ts'
import { DATABASE_FILE } from '../local-trail.ts'
import { SqliteTokenStore } from '../sqlite/sqlite-token-store.ts'
import { withLocalTrail } from './cli-context.ts'
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
  if (token === undefined) throw ERR_CLI_USAGE.create('--url needs an admin token: --token or $TRADETRAIL_TOKEN')
  let response: Response
  try {
    response = await fetch(new URL(path, flags.url), {
      method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    })
  } catch (error) {
    throw ERR_REMOTE.create(flags.url!, `cannot be reached: ${(error as Error).cause ?? (error as Error).message}`)
  }
  const answer = await response.json().catch(() => undefined) as { error?: { code: string; message: string } } | undefined
  if (!response.ok) throw ERR_REMOTE.create(flags.url!, `answered ${response.status}: ${answer?.error?.message ?? 'no details'} (${answer?.error?.code ?? 'no code'})`)
  return answer as T
}

/** Opens the trail and its token table for an offline change, and records the change in the trail. */
async function offline<T>(command: Command, fn: (tokens: SqliteTokenStore, note: (type: string, message: string, data: Record<string, unknown>) => Promise<void>) => Promise<T>): Promise<T> {
  return withLocalTrail(command, async (trail) => {
    const tokens = new SqliteTokenStore(join(trail.dataDir, DATABASE_FILE))
    try {
      return await fn(tokens, async (type, message, data) => {
        await trail.append(validateBatch([{ project: SELF_PROJECT, type, message, source: 'cli', data }], { nowMicros: systemClock.nowMicros() }))
      })
    } finally {
      await tokens.close()
    }
  })
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
