import { globalOptions } from './cli-options.ts'
import type { Command } from 'commander'

interface ServeFlags {
  host?: string
  port?: string
  tlsCert?: string
  tlsKey?: string
  retention?: string
  retentionMin?: string
  belowMinimumRetention?: string
  clockSkewMs?: string
  headTimeout?: string
  maxUnauthenticatedConnections?: string
  maxUnauthenticatedPerAddress?: string
  witnessDir?: string
  witnessUrl?: string
  strict?: boolean
}

export function registerServeCommand(program: Command): void {
  program.command('serve')
    .description('run the collector (HTTP API v1) on the data directory')
    .option('--host <host>', 'address to listen on (default $TRADETRAIL_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default $TRADETRAIL_PORT or 9324; 0 picks a free one)')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this private key (PEM)')
    .option('--retention <age>', 'purge events older than this, at start and daily (e.g. 5y); never below --retention-min')
    .option('--retention-min <age>', 'the minimum retention: no purge removes younger events (default $TRADETRAIL_RETENTION_MIN or 5y)')
    .option('--below-minimum-retention <reason>', 'let --retention go below the minimum, for this reason (logged, and recorded with each purge)')
    .option('--clock-skew-ms <ms>', 'flag events clock_skew when their client\'s clock is off by more (default $TRADETRAIL_CLOCK_SKEW_MS or 50; 0 never)')
    .option('--head-timeout <age>', 'close a connection whose request head is not complete this long after it opens (default $TRADETRAIL_HEAD_TIMEOUT or 10s)')
    .option('--max-unauthenticated-connections <n>', 'most connections waiting for a request with a valid token (default 1024)')
    .option('--max-unauthenticated-per-address <n>', 'the same, from one remote address (default 256)')
    .option('--witness-dir <dir>', 'write every checkpoint and anchor to this directory as it is signed (another volume, a WORM mount)')
    .option('--witness-url <url>', 'and/or POST each to this HTTPS endpoint, retried until it takes it')
    .option('--strict', 'refuse to start on a data directory on tmpfs or under /tmp in a container')
    .action(async (flags: ServeFlags, command: Command) => {
      // Loaded here so that the other commands never pay for Fastify and prom-client.
      const { startCollector } = await import('../collector/serve.ts')
      const { config } = globalOptions(command, {
        host: flags.host, port: flags.port, strict: flags.strict,
        tlsCert: flags.tlsCert, tlsKey: flags.tlsKey, clockSkewMs: flags.clockSkewMs, headTimeoutMs: flags.headTimeout,
        retentionMs: flags.retention, retentionMinMs: flags.retentionMin, retentionBelowMinimum: flags.belowMinimumRetention,
        maxUnauthenticatedConnections: flags.maxUnauthenticatedConnections, maxUnauthenticatedPerAddress: flags.maxUnauthenticatedPerAddress,
        witnessDir: flags.witnessDir, witnessUrl: flags.witnessUrl,
      })
      await startCollector(config)
      await new Promise(() => {}) // runs until a signal stops it (serve.ts exits the process)
    })
}
