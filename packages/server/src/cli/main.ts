/**
 * `tradetrail`: the command line. Storage commands work offline on a data directory,
 * also while a collector runs on it. Exit codes: 0 done, 1 failed (one line on stderr
 * says why), 2 the command line itself was wrong (an unknown option or a bad value).
 */
import { Command, CommanderError } from 'commander'
import { ERR_CLI_USAGE, TradetrailError, fileError } from '@tradetrail/core'
import { registerAlertCommands } from './alert-commands.ts'
import { STDOUT } from './cli-output.ts'
import { registerHoldCommands } from './hold-commands.ts'
import { registerInstallCommands } from './install-commands.ts'
import { registerIntegrityCommands } from './integrity-commands.ts'
import { registerServeCommand } from './serve-command.ts'
import { registerSummaryCommand } from './summary-command.ts'
import { registerTokenCommands } from './token-commands.ts'
import { registerTrailCommands } from './trail-commands.ts'
import { registerTransferCommands } from './transfer-commands.ts'

export function buildProgram(): Command {
  const program = new Command('tradetrail')
    .description('Tradetrail: the tamper-evident audit trail for automated trading systems')
    .option('--data-dir <dir>', 'data directory (default $TRADETRAIL_DATA_DIR, the config file\'s dataDir, or ./data)')
    .option('--config <file>', 'JSON config file (default $TRADETRAIL_CONFIG); see docs/operations.md')
    .option('--json', 'machine-readable output')
    .exitOverride()
  registerTrailCommands(program)
  registerIntegrityCommands(program)
  registerHoldCommands(program)
  registerTransferCommands(program)
  registerSummaryCommand(program)
  registerServeCommand(program)
  registerTokenCommands(program)
  registerAlertCommands(program)
  registerInstallCommands(program)
  const override = (command: Command): void => {
    command.exitOverride()
    command.commands.forEach(override)
  }
  override(program)
  return program
}

/** The one line a failure prints: an OS condition no command mapped still gets its TT_ERR_FILE_* code. */
export function describeError(error: unknown): string {
  const known = error instanceof TradetrailError ? error : fileError(error, 'use')
  if (known !== undefined) {
    const problem = known.problems?.[0]
    if (problem !== undefined && known.problems!.length === 1) return `${problem.message} (${problem.code})`
    return `${known.message} (${known.code})`
  }
  const e = error as NodeJS.ErrnoException
  return `unexpected error: ${e?.message ?? String(error)}`
}

/**
 * Every command writes to standard output. When that fails (a full disk behind `> file`), the
 * command stops with the condition's code instead of a stack trace or a false OK; when its
 * reader has gone (`| head`), it stops quietly, as command-line tools do.
 */
function onStdoutError(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0)
  process.stderr.write(`tradetrail: ${describeError(fileError(error, 'write', STDOUT) ?? error)}\n`)
  process.exit(1)
}

export async function main(argv: string[]): Promise<number> {
  process.stdout.on('error', onStdoutError)
  try {
    await buildProgram().parseAsync(argv)
    return typeof process.exitCode === 'number' ? process.exitCode : 0
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2 // commander already printed the reason
    process.stderr.write(`tradetrail: ${describeError(error)}\n`)
    if (process.env.TRADETRAIL_DEBUG) process.stderr.write(`${(error as Error).stack}\n`)
    return ERR_CLI_USAGE.is(error) ? 2 : 1
  }
}
