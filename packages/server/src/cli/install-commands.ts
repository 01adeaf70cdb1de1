/**
 * `tradetrail install systemd|cron --dir D`: writes the collector's systemd service and the
 * daily summary's timer (or a cron file for the summary) into D, filled in with this node, this
 * CLI and the data directory, and prints what to run next. It installs nothing itself: the
 * operator copies the files where they go. The summary runs `summary --send --date yesterday`:
 * the period's key makes it harmless beside a collector that sent the same day.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { ERR_CLI_USAGE, fileError } from '@tradetrail/core'
import { globalOptions } from './cli-options.ts'

const CLI = fileURLToPath(new URL('../../bin/tradetrail.js', import.meta.url))

/** A systemd or cron argument: absolute paths without spaces or specials, which neither would need quoting. */
function checkPath(flag: string, path: string): string {
  if (!/^\/[\w./@+-]*$/.test(path)) throw ERR_CLI_USAGE.create(flag, 'must be an absolute path of letters, digits and ./_@+-', path)
  return path
}

export function installFiles(kind: 'systemd' | 'cron', dataDir: string, user: string): Record<string, string> {
  const run = `${checkPath('node', process.execPath)} ${checkPath('cli', CLI)} --data-dir ${checkPath('--data-dir', dataDir)}`
  if (kind === 'cron') {
    return {
      'tradetrail-summary': `# Tradetrail: yesterday's summary to the configured channels, daily at 00:05 UTC (docs/operations.md).\n` +
        `# Install as /etc/cron.d/tradetrail-summary. A collector that sent it already makes this a no-op.\n` +
        `CRON_TZ=UTC\n5 0 * * * ${user} ${run} summary --send --date yesterday >/dev/null\n`,
    }
  }
  const unit = (description: string, body: string): string => `[Unit]\nDescription=${description}\n${body}`
  // The configuration (QT_ALERT_WEBHOOK, TRADETRAIL_*) comes from this file when it exists.
  const env = 'EnvironmentFile=-/etc/tradetrail/env\n'
  return {
    'tradetrail.service': unit('Tradetrail audit trail collector', `After=network-online.target\nWants=network-online.target\n\n[Service]\nType=simple\nUser=${user}\n${env}` +
      `ExecStart=${run} serve\nRestart=on-failure\nRestartSec=2\nTimeoutStopSec=30\nKillSignal=SIGTERM\nNoNewPrivileges=true\nPrivateTmp=true\n` +
      `ProtectSystem=strict\nReadWritePaths=${dataDir}\n\n[Install]\nWantedBy=multi-user.target\n`),
    'tradetrail-summary.service': unit('Tradetrail: yesterday\'s summary to the configured channels', `\n[Service]\nType=oneshot\nUser=${user}\n${env}ExecStart=${run} summary --send --date yesterday\n`),
    'tradetrail-summary.timer': unit('Tradetrail: the daily summary at 00:05 UTC', `\n[Timer]\nOnCalendar=*-*-* 00:05:00 UTC\nPersistent=true\n\n[Install]\nWantedBy=timers.target\n`),
  }
}

const NEXT = {
  systemd: (dir: string) => [
    `sudo cp ${dir}/tradetrail.service ${dir}/tradetrail-summary.service ${dir}/tradetrail-summary.timer /etc/systemd/system/`,
    'sudo systemctl daemon-reload',
    'sudo systemctl enable --now tradetrail.service tradetrail-summary.timer',
  ],
  cron: (dir: string) => [`sudo cp ${dir}/tradetrail-summary /etc/cron.d/tradetrail-summary`],
}

export function registerInstallCommands(program: Command): void {
  program.command('install')
    .description('write the collector\'s systemd service and the daily summary timer (systemd), or a cron file for the summary (cron), into --dir')
    .argument('<kind>', 'systemd or cron')
    .requiredOption('--dir <dir>', 'where to write the files (created if missing; existing files are replaced)')
    .option('--user <user>', 'the user the collector and the summary run as', 'tradetrail')
    .action((kind: string, flags: { dir: string; user: string }, command: Command) => {
      if (kind !== 'systemd' && kind !== 'cron') throw ERR_CLI_USAGE.create('kind', 'must be systemd or cron', kind)
      if (!/^[a-z_][a-z0-9_-]*$/.test(flags.user)) throw ERR_CLI_USAGE.create('--user', 'must be a user name (lower-case letters, digits, _ and -)', flags.user)
      const dataDir = resolve(globalOptions(command).config.dataDir)
      const dir = resolve(flags.dir)
      const files = installFiles(kind, dataDir, flags.user)
      try {
        if (!existsSync(dir)) mkdirSync(dir, { recursive: true })
        for (const [name, text] of Object.entries(files)) writeFileSync(resolve(dir, name), text)
      } catch (error) {
        throw fileError(error, 'write', dir) ?? error
      }
      process.stdout.write(`Wrote ${Object.keys(files).map((f) => resolve(dir, f)).join(', ')}\nNext:\n${NEXT[kind](dir).map((l) => `  ${l}`).join('\n')}\n`)
    })
}
