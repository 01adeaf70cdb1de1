/**
 * `tradetrail serve`: the collector process. Opens the trail, listens, then — only once it
 * listens, so that a start that fails never leaves a token nobody was shown — creates the
 * first admin token when there is none, records it as `token_created` and shows it once. On
 * SIGTERM/SIGINT it stops accepting, commits what is in flight, records its shutdown and closes.
 */
import { readFileSync } from 'node:fs'
import { type Clock, ERR_COLLECTOR_LISTEN, ERR_CONFIG_INVALID, SELF_PROJECT, formatMicros, systemClock } from '@tradetrail/core'
import { TokenCache } from '../auth/token-cache.ts'
import { TOKEN_EVENT_TYPES } from '../auth/token-events.ts'
import { issueToken, tokenId } from '../auth/tokens.ts'
import type { TradetrailConfig } from '../config.ts'
import { writeFailureDraft } from '../notify/alert-rules.ts'
import { type Notifications, startNotifications } from '../notify/notifications.ts'
import { openTrail } from '../trail/open-trail.ts'
import { buildCollector, type Collector } from './collector.ts'
import { dashboardDir } from './dashboard-routes.ts'
import { watchDumpTriggers } from './dump-triggers.ts'
import { CollectorMetrics } from './metrics.ts'

export interface RunningCollector {
  collector: Collector
  /** Base URL, e.g. http://127.0.0.1:9324 */
  url: string
  /** The first admin token, when this start created it (it is then in the banner). */
  initialToken: string | undefined
  /** Stops gracefully; resolves when everything is committed and closed. */
  stop(reason?: string): Promise<void>
}

export interface StartOptions {
  clock?: Clock
  /** Where the banner goes (default stdout). */
  print?: (line: string) => void
  /** Install SIGTERM/SIGINT handlers that stop and exit, and dump on SIGUSR2 or Enter (default true). */
  handleSignals?: boolean
}

const VERSION = '0.1.0'

export async function startCollector(config: Readonly<TradetrailConfig>, options: StartOptions = {}): Promise<RunningCollector> {
  const clock = options.clock ?? systemClock
  const print = options.print ?? ((line: string) => process.stdout.write(line + '\n'))
  let https: { cert: Buffer; key: Buffer } | undefined
  if (config.tlsCert !== undefined && config.tlsKey !== undefined) {
    const read = (path: string, name: string): Buffer => {
      try {
        return readFileSync(path)
      } catch (error) {
        throw ERR_CONFIG_INVALID.create(name, path, `cannot be read: ${(error as Error).message}`)
      }
    }
    https = { cert: read(config.tlsCert, 'TRADETRAIL_TLS_CERT'), key: read(config.tlsKey, 'TRADETRAIL_TLS_KEY') }
  }
  let metrics: CollectorMetrics | undefined
  let notifications: Notifications | undefined
  let log: (error: unknown, message: string) => void = (error, message) => process.stderr.write(`tradetrail: ${message}: ${(error as Error).message}\n`)
  let warn: (error: unknown, message: string) => void = (error, message) => process.stderr.write(`WARNING: ${message}: ${(error as Error).message}\n`)
  const trail = await openTrail(config, {
    role: 'collector', clock,
    onError: (error) => log(error, 'background work failed'),
    onCommit: (events, _batches, seconds) => {
      metrics?.commitSeconds.observe(seconds)
      metrics?.commitEvents.observe(events)
    },
    onCommitError: (error, batches) => {
      metrics?.writeFailures.inc()
      log(error, `commit of ${batches} batches failed; the requests were answered with an error`)
      notifications?.raise(writeFailureDraft(error, batches)).catch((e: unknown) => log(e, 'the write failure alert could not be raised'))
    },
    witnessHooks: {
      onDelivered: (witness) => metrics?.witnessDelivered.inc({ witness: witness.kind }),
      onFailure: (witness, error, retryInMs) => {
        metrics?.witnessFailures.inc({ witness: witness.kind })
        warn(error, `witness ${witness.where}: delivery failed${retryInMs === undefined ? '' : `, next attempt in ${retryInMs / 1000} s`}`)
      },
    },
  })
  metrics = new CollectorMetrics(() => trail.sizeBytes(), async () => (await trail.witnesses?.status()) ?? [], () => trail.outbox.outboxCounts())
  try {
    notifications = await startNotifications(trail, config, {
      onRaised: ({ alert, outcome }) => { if (outcome === 'opened') metrics?.alertsRaised.inc({ rule: alert.rule }) },
      onDelivered: (channel) => metrics?.notificationsDelivered.inc({ channel: channel.name }),
      onFailure: (channel, error, retryInMs) => {
        metrics?.notificationFailures.inc({ channel: channel.name })
        warn(error, `notification channel ${channel.name}: delivery failed, next attempt in ${(retryInMs / 1000).toFixed(1)} s`)
      },
      onError: (error) => log(error, 'alerting failed; the same events are looked at again'),
    })
  } catch (error) {
    await trail.close()
    throw error
  }
  const tokens = new TokenCache(trail.tokens)
  const collector = buildCollector({ config, trail, tokens, metrics, clock, https })
  const { app } = collector
  log = (error, message) => app.log.error({ err: error }, message)
  warn = (error, message) => app.log.warn({ err: error }, message)

  // A token revoked, rotated or created by another process (the CLI, a second collector) reaches
  // this one through the feed: its cached entry goes, and the next request reads the store.
  const tokenWatch = trail.feed!.follow(trail.feed!.head, (events) => {
    for (const e of events) {
      if (e.project !== SELF_PROJECT || !TOKEN_EVENT_TYPES.has(e.type)) continue
      const id = e.event().data?.id
      if (typeof id === 'string') tokens.invalidate(id)
    }
  })

  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    tokenWatch.close()
    await notifications.close()
    await trail.close()
    throw ERR_COLLECTOR_LISTEN.create(`${host}:${config.port}`, (error as NodeJS.ErrnoException).code ?? (error as Error).message)
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const url = `${https ? 'https' : 'http'}://${host}:${port}`
  collector.state.ready = true
  await trail.record('boot', `Collector started on ${url}`, { version: VERSION, pid: process.pid, data_dir: trail.dataDir })
  let initialToken: string | undefined
  // No usable token (a new trail, or every token revoked or expired): nobody could administer it.
  if ((await tokens.countActiveTokens(formatMicros(clock.nowMicros()))) === 0) {
    const { token, ...info } = await issueToken(tokens, { scope: 'admin', label: 'first admin token, created at first start' }, clock)
    await trail.record('token_created', `Token ${info.id} created (admin) at first start`, { ...info })
    initialToken = token
  }

  print(`Tradetrail collector listening on ${url} (data in ${trail.dataDir})`)
  if (initialToken !== undefined) {
    print(`First start: admin token ${tokenId(initialToken)} was created. It is shown this once; keep it somewhere safe.`)
    print(`  token: ${initialToken}`)
  }
  // The fragment signs the dashboard in and is never sent to the collector (nor kept in its logs).
  if (dashboardDir() !== undefined) {
    print(initialToken === undefined ? `Dashboard: ${url}/ (sign in with a read token)` : `Dashboard: ${url}/#token=${initialToken} (signs in with this admin token)`)
  }
  print(`Tokens: tradetrail --data-dir ${trail.dataDir} token create --scope ingest --project NAME (one per bot; --scope admin for another admin token)`)
  print(`SDK and examples: export TRADETRAIL_URL=${url} TRADETRAIL_TOKEN=<a token>; the HTTP API is in docs/api.md`)

  const handleSignals = options.handleSignals ?? true
  const stopDumps = handleSignals ? watchDumpTriggers({ trail, clock, print, onError: (error, message) => log(error, message), stdin: process.stdin }) : undefined
  let stopping: Promise<void> | undefined
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      collector.state.ready = false
      await stopDumps?.()
      tokenWatch.close()
      await app.close() // stops accepting; in-flight requests finish, so their commits are awaited
      await trail.flush()
      await trail.record('shutdown', `Collector stopped: ${reason}`, { at: formatMicros(clock.nowMicros()) }).catch(() => {})
      await notifications!.close()
      await trail.close()
    })()
    return stopping
  }
  if (handleSignals) {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        void stop(signal).then(() => process.exit(0), (error) => {
          process.stderr.write(`tradetrail: shutdown failed: ${(error as Error).message}\n`)
          process.exit(1)
        })
      })
    }
  }
  return { collector, url, initialToken, stop }
}
