/**
 * `tradetrail serve`: the collector process. Opens the trail, creates the first admin token
 * when there is none (shown once, with a dashboard URL that signs in through the URL
 * fragment, which browsers never send to the server), listens, and on SIGTERM/SIGINT stops
 * accepting, commits what is in flight, records its shutdown and closes.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Clock, ERR_CONFIG_INVALID, formatMicros, systemClock } from '@tradetrail/core'
import { issueToken } from '../auth/tokens.ts'
import type { CollectorConfig } from '../config.ts'
import { DATABASE_FILE, LocalTrail } from '../local-trail.ts'
import { purgeExpired } from '../retention.ts'
import { SqliteTokenStore } from '../sqlite/sqlite-token-store.ts'
import { buildCollector, type Collector } from './collector.ts'
import { CollectorMetrics } from './metrics.ts'

export interface RunningCollector {
  collector: Collector
  /** Base URL, e.g. http://127.0.0.1:9324 */
  url: string
  /** The first admin token, when this start created it. */
  initialToken: string | undefined
  /** Stops gracefully; resolves when everything is committed and closed. */
  stop(reason?: string): Promise<void>
}

export interface StartOptions {
  clock?: Clock
  /** Where the banner goes (default stdout). */
  print?: (line: string) => void
  /** Install SIGTERM/SIGINT handlers that stop and exit (default true). */
  handleSignals?: boolean
}

const VERSION = '0.1.0'
const DAY_MS = 86_400_000
const MAINTAIN_INTERVAL_MS = 100
// 5 000 events of indexing block the loop for ~50 ms here; 50 000/s is above what ingest reaches.
const MAINTAIN_SLICE = 5_000

export async function startCollector(config: Readonly<CollectorConfig>, options: StartOptions = {}): Promise<RunningCollector> {
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
  const trail = new LocalTrail({
    dataDir: config.dataDir, strict: config.strict, clock,
    checkpointEvery: config.checkpointEvery, checkpointIntervalMs: config.checkpointIntervalMs,
  })
  const tokens = new SqliteTokenStore(join(trail.dataDir, DATABASE_FILE))
  const metrics = new CollectorMetrics(join(trail.dataDir, DATABASE_FILE))
  const collector = buildCollector({ config, trail, tokens, metrics, clock, https })
  const { app } = collector

  let initialToken: string | undefined
  if ((await tokens.countActiveTokens()) === 0) {
    initialToken = (await issueToken(tokens, { scope: 'admin', label: 'first admin token, created at first start' }, clock)).token
  }
  try {
    await app.listen({ host: config.host, port: config.port })
  } catch (error) {
    await tokens.close()
    await trail.close()
    throw ERR_CONFIG_INVALID.create('--port', String(config.port), `cannot be listened on at ${config.host}: ${(error as Error).message}`)
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address !== null ? address.port : config.port
  const host = config.host.includes(':') ? `[${config.host}]` : config.host
  const url = `${https ? 'https' : 'http'}://${host}:${port}`
  collector.ready = true
  await collector.record('boot', `Collector started on ${url}`, { version: VERSION, pid: process.pid, data_dir: trail.dataDir })
  if (initialToken !== undefined) {
    await collector.record('token_created', 'First admin token created at first start', { scope: 'admin' })
  }

  print(`Tradetrail collector listening on ${url} (data in ${trail.dataDir})`)
  if (initialToken !== undefined) {
    print(`First start: an admin token was created. It is shown this once; keep it somewhere safe.`)
    print(`  token:     ${initialToken}`)
    print(`  dashboard: ${url}/#token=${initialToken}`)
  } else {
    print(`Dashboard: ${url}/ (sign in with a read or admin token; "tradetrail token create --scope read" makes one)`)
  }

  let retentionTimer: NodeJS.Timeout | undefined
  if (config.retentionMs !== undefined) {
    const purge = async (): Promise<void> => {
      try {
        const result = await purgeExpired({ store: trail.store, signer: trail.signer, maxAgeMs: config.retentionMs!, clock })
        if (result.purged > 0) await collector.record('retention_purge', `Retention purged ${result.purged} events through seq ${result.anchor!.seq}`, { ...result.anchor })
      } catch (error) {
        app.log.error({ err: error }, 'retention purge failed')
        await collector.record('retention_purge', `Retention purge failed: ${(error as Error).message}`, undefined, 'critical').catch(() => {})
      }
    }
    await purge()
    retentionTimer = setInterval(() => void purge(), DAY_MS).unref()
  }

  // The search index follows the trail in slices between requests (SqliteEventStore.maintain).
  const maintenance = setInterval(() => {
    trail.store.maintain(MAINTAIN_SLICE).catch((error) => app.log.error({ err: error }, 'search index maintenance failed'))
  }, MAINTAIN_INTERVAL_MS).unref()

  let stopping: Promise<void> | undefined
  const stop = (reason = 'stop requested'): Promise<void> => {
    stopping ??= (async () => {
      collector.ready = false
      clearInterval(retentionTimer)
      clearInterval(maintenance)
      await app.close() // stops accepting; in-flight requests finish, so their commits are awaited
      await collector.committer.flush()
      await collector.record('shutdown', `Collector stopped: ${reason}`, { at: formatMicros(clock.nowMicros()) }).catch(() => {})
      await collector.committer.flush()
      await tokens.close()
      await trail.close()
    })()
    return stopping
  }
  if (options.handleSignals ?? true) {
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
