/** `tradetrail token create|list|rotate|revoke`: offline on the data directory, or through a collector with --url. */
import { type Command, Option } from 'commander'
import { ERR_CLI_USAGE, SCOPES, type Scope, type TokenInfo, type TokenStore } from '@tradetrail/core'
import { type TokenEvent, tokenCreated, tokenRevoked, tokenRotated } from '../auth/token-events.ts'
import { DEFAULT_GRACE, type ExpiryRequest, issueToken, type IssuedToken, revokeToken, type RotatedToken, rotateToken, tokenId } from '../auth/tokens.ts'
import { withTrail } from './cli-context.ts'
import { globalOptions } from './cli-options.ts'
import { printJson } from './cli-output.ts'
import { type Remote, remote, withRemote } from './cli-remote.ts'

const collect = (value: string, previous: string[]): string[] => [...previous, value]

/** Opens the trail for an offline change of its tokens, and records the change in the trail. */
async function offline<T>(command: Command, fn: (tokens: TokenStore, note: (event: TokenEvent) => Promise<void>) => Promise<T>): Promise<T> {
  return withTrail(command, 'command', async (trail) => fn(trail.tokens, async (event) => {
    await trail.record(event.type, event.message, event.data)
  }))
}

function describe(t: TokenInfo): string {
  const projects = t.projects.length > 0 ? ` ${t.projects.join(',')}` : ''
  const scope = `${t.scope}${projects}${t.privileges.length > 0 ? ` [${t.privileges.join(',')}]` : ''}`
  const ends = t.replaced_by ? `  ROTATED to ${t.replaced_by}, works until ${t.expires_at}` : t.expires_at ? `  expires ${t.expires_at}` : ''
  return `${t.id}  ${scope}  created ${t.created_at}${ends}${t.revoked_at ? `  REVOKED ${t.revoked_at}` : ''}${t.label ? `  ${t.label}` : ''}`
}

const withExpiry = (c: Command): Command => c
  .option('--expires-in <duration>', 'the token stops working this long after it is made (12h, 30d, 1y)')
  .option('--expires-at <time>', 'the token stops working at this RFC 3339 UTC time')

const expiry = (flags: { expiresIn?: string; expiresAt?: string }): ExpiryRequest => ({ expires_in: flags.expiresIn, expires_at: flags.expiresAt })

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('manage API tokens (stored hashed; a secret is shown once)')
  const managed = (c: Command): Command => withRemote(c, 'manage')

  withExpiry(managed(token.command('create')))
    .description('create a token and print it once')
    .addOption(new Option('--scope <scope>', 'what it may do').choices([...SCOPES]).makeOptionMandatory())
    .option('--project <name>', 'ingest: a project it may write ("*" for any); read: a project it may read (default every one); repeat for more', collect, [])
    .option('--privilege <name>', 'a privilege granted to its projects (execute_trade, …); repeat for more', collect, [])
    .option('--label <text>', 'a note to recognise it by')
    .action(async (flags: Remote & { scope: Scope; project: string[]; privilege: string[]; label?: string; expiresIn?: string; expiresAt?: string }, command: Command) => {
      const request = { scope: flags.scope, projects: flags.project, privileges: flags.privilege, label: flags.label, ...expiry(flags) }
      const issued = flags.url !== undefined
        ? await remote<IssuedToken>(flags, 'POST', '/v1/tokens', { ...request, label: request.label ?? null })
        : await offline(command, async (tokens, note) => {
          const created = await issueToken(tokens, request)
          await note(tokenCreated(created))
          return created
        })
      if (globalOptions(command).json) printJson(issued)
      else process.stdout.write(`${issued.token}\n(${describe(issued)}; shown once)\n`)
    })

  managed(token.command('list'))
    .description('list tokens (never their secrets)')
    .action(async (flags: Remote, command: Command) => {
      const list = flags.url !== undefined
        ? (await remote<{ tokens: TokenInfo[] }>(flags, 'GET', '/v1/tokens')).tokens
        : await offline(command, (tokens) => tokens.listTokens())
      if (globalOptions(command).json) printJson(list)
      else for (const t of list) process.stdout.write(describe(t) + '\n')
    })

  withExpiry(managed(token.command('rotate')))
    .description('issue a successor with the same scope, projects and privileges; the old token works until the grace period ends')
    .argument('<id>', 'the token id (the part after tt_) or the whole token')
    .option('--grace <duration>', 'how long the old token keeps working (0 ends it at once)', DEFAULT_GRACE)
    .action(async (idOrToken: string, flags: Remote & { grace: string; expiresIn?: string; expiresAt?: string }, command: Command) => {
      const id = tokenId(idOrToken)
      const request = { grace: flags.grace, ...expiry(flags) }
      const rotated = flags.url !== undefined
        ? await remote<RotatedToken>(flags, 'POST', `/v1/tokens/${encodeURIComponent(id)}/rotate`, request)
        : await offline(command, async (tokens, note) => {
          const made = await rotateToken(tokens, id, request)
          await note(tokenRotated(made))
          return made
        })
      if (globalOptions(command).json) printJson(rotated)
      else process.stdout.write(`${rotated.token}\n(${describe(rotated)}; shown once)\n${rotated.replaces.id} keeps working until ${rotated.replaces.expires_at}\n`)
    })

  managed(token.command('revoke'))
    .description('revoke a token at once')
    .argument('<id>', 'the token id (the part after tt_) or the whole token')
    .action(async (idOrToken: string, flags: Remote, command: Command) => {
      const id = tokenId(idOrToken)
      if (flags.url !== undefined) await remote(flags, 'DELETE', `/v1/tokens/${encodeURIComponent(id)}`)
      else {
        await offline(command, async (tokens, note) => {
          await revokeToken(tokens, id)
          await note(tokenRevoked(id))
        })
      }
      if (globalOptions(command).json) printJson({ id, revoked: true })
      else process.stdout.write(`revoked ${id}\n`)
    })
}
