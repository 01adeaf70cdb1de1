/** Runs the real `tradetrail` binary in a child process, as a user or a shell script would. */
import { type ChildProcess, spawn } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Hooks } from './temp-dir.ts'

/** The server package's `tradetrail` executable, run from its workspace folder as a clone runs it. */
export const CLI_BIN = fileURLToPath(new URL('../../server/bin/tradetrail.js', import.meta.url))

export interface CliOptions {
  /** Passed as `--data-dir`, before the command. */
  dataDir?: string
  /** Extra environment; TRADETRAIL_* variables of the test runner are not inherited. */
  env?: Record<string, string | undefined>
  /** Written to stdin, which is then closed. */
  input?: string
  /** Standard output goes to this file (e.g. /dev/full) instead of the result's `stdout`. */
  stdoutTo?: string
  /** Kill the child and fail after this long (default 90 s: the CLI needs about 2 s of CPU to start, more on a busy machine). */
  timeoutMs?: number
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

function argv(args: readonly string[], options: CliOptions): string[] {
  return [CLI_BIN, ...(options.dataDir !== undefined ? ['--data-dir', options.dataDir] : []), ...args]
}

function childEnv(extra: CliOptions['env']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TRADETRAIL_')) env[k] = v
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

/** Runs `tradetrail ...args` to completion. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 90_000
  return new Promise((resolve, reject) => {
    const out = options.stdoutTo === undefined ? 'pipe' : openSync(options.stdoutTo, 'w')
    const child = spawn(process.execPath, argv(args, options), { env: childEnv(options.env), stdio: ['pipe', out, 'pipe'] })
    if (typeof out === 'number') closeSync(out) // the child has its own copy
    let stdout = ''
    let stderr = ''
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { stdout += s })
    child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`tradetrail ${args.join(' ')} did not finish within ${timeoutMs} ms (killed); stdout: ${stdout.slice(-500)} stderr: ${stderr.slice(-500)}`))
    }, timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr })
    })
    child.stdin!.on('error', () => {}) // a child that exits without reading stdin is not our failure
    child.stdin!.end(options.input ?? '')
  })
}

/** A long-running `tradetrail` (e.g. `tail -f`): output accumulates while it runs. */
export interface CliProcess {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves when the process has exited. */
  readonly exited: Promise<CliResult>
}

/** Starts `tradetrail ...args`; the owner's `after` hook SIGKILLs it if it still runs. */
export function startCli(owner: Hooks, args: readonly string[], options: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, argv(args, options), { env: childEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))
  })
  owner.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  })
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

/**
 * The lines of stderr that are not data-directory warnings. Tests keep their data under
 * os.tmpdir(), which inside a container draws the (correct) "/tmp inside a container" warning
 * on every command; the one-line failure reason is what is left.
 */
export function errorLines(stderr: string): string[] {
  return stderr.split('\n').filter((line) => line.trim() !== '' && !/^WARNING: data directory /.test(line))
}

/** Parses stdout as JSON, failing with the output when it is not. */
export function parseJson<T = unknown>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T
  } catch (error) {
    throw new Error(`stdout is not JSON (${(error as Error).message}): exit ${result.code}, stdout: ${result.stdout.slice(0, 500)} stderr: ${result.stderr.slice(0, 500)}`)
  }
}

/** A one-line account of a run, for assertion messages. */
export function describeRun(result: CliResult): string {
  return `exit ${result.code}${result.signal ? ` (${result.signal})` : ''}; stdout: ${JSON.stringify(result.stdout.slice(0, 800))}; stderr: ${JSON.stringify(result.stderr.slice(0, 800))}`
}
