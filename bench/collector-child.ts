/**
 * A real collector (`tradetrail serve`) as a child process of a bench, and the two questions
 * benches ask it: how many events it has stored in all (/metrics), and for one project
 * (GET /v1/stats), and its resident memory. Children are killed when the bench exits or is interrupted.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR, round } from './bench-harness.ts'

const BIN = join(BENCH_DIR, '..', 'packages', 'server', 'bin', 'tradetrail.js')

export interface Started {
  child: ChildProcess
  /** The match of `ready` in the child's output. */
  match: RegExpExecArray
  output: () => string
}

export interface StartedCollector {
  child: ChildProcess
  url: string
  /** The admin token the collector printed when it made its data directory. */
  token: string
}

const children = new Set<ChildProcess>()
const killAll = (): void => { for (const child of children) child.kill('SIGKILL') }
process.on('exit', killAll)
// A signal ends the bench without 'exit': the collector would outlive it and keep writing to TMPDIR.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll()
    process.exit(130)
  })
}

/** Starts `node ARGS`, resolving once its stdout or stderr matches `ready` (60 s at most). */
export function startProcess(args: string[], env: NodeJS.ProcessEnv, ready: RegExp): Promise<Started> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  children.add(child)
  child.once('exit', () => children.delete(child))
  let output = ''
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready after 60 s: ${output}`)), 60_000)
    const onData = (chunk: Buffer): void => {
      output += chunk.toString()
      const match = ready.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve({ child, match, output: () => output })
      }
    }
    child.stdout!.on('data', onData)
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString() })
    child.once('exit', (code) => reject(new Error(`exited with ${code} before it was ready: ${output}`)))
  })
}

/** `tradetrail serve` on a free port with a fresh data directory; logs at warn. */
export async function startCollector(dataDir: string, env: NodeJS.ProcessEnv = {}): Promise<StartedCollector> {
  const { child, match } = await startProcess([BIN, 'serve', '--data-dir', dataDir, '--port', '0'],
    { TRADETRAIL_LOG_LEVEL: 'warn', ...env }, /listening on (http:\/\/\S+)[\s\S]*token:\s+(tt_\S+)/)
  return { child, url: match[1]!, token: match[2]! }
}

/** Events the collector has stored since it started (`tradetrail_events_ingested_total`). */
export async function ingested(url: string, token: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text()
  return Number(/^tradetrail_events_ingested_total (\S+)$/m.exec(text)?.[1] ?? 0)
}

/** Events stored for `project`, from GET /v1/stats. */
export async function storedFor(url: string, token: string, project: string): Promise<number> {
  const response = await fetch(`${url}/v1/stats?project=${encodeURIComponent(project)}`, { headers: { authorization: `Bearer ${token}` } })
  if (!response.ok) throw new Error(`GET /v1/stats answered ${response.status}: ${await response.text()}`)
  return ((await response.json()) as { total: number }).total
}

/** Resident memory of process `pid` in MiB, from /proc (NaN where there is none). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? round(Number(m[1]) / 1024, 1) : NaN
  } catch {
    return NaN
  }
}
