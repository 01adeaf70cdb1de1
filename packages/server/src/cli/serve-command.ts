import type { Command } from 'commander'
import { loadConfig } from '../config.ts'
import { startCollector } from '../collector/serve.ts'

export function registerServeCommand(program: Command): void {
  program.command('serve')
    .description('run the collector (HTTP API v1) on the data directory')
    .option('--host <host>', 'address to listen on (default $TRADETRAIL_HOST or 127.0.0.1)')
    .option('--port <port>', 'port (default $TRADETRAIL_PORT or 9324; 0 picks a free one)')
    .option('--config <file>', 'JSON config file (default $TRADETRAIL_CONFIG); see docs/operations.md')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'and this private key (PEM)')
    .option('--retention <age>', 'purge events older than this, daily (e.g. 5y)')
    .action(async (flags: { host?: string; port?: string; config?: string; tlsCert?: string; tlsKey?: string; retention?: string }, command: Command) => {
      const globals = command.optsWithGlobals() as { dataDir?: string; strict?: boolean }
      const config = loadConfig({
        file: flags.config,
        flags: {
          host: flags.host, port: flags.port, dataDir: globals.dataDir, strict: globals.strict,
          tlsCert: flags.tlsCert, tlsKey: flags.tlsKey, retentionMs: flags.retention,
        },
      })
      await startCollector(config)
      await new Promise(() => {}) // runs until a signal stops it (serve.ts exits the process)
    })
}
