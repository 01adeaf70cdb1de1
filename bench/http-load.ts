/**
 * Load from wrk against a server process, and what that process spent: shared by the benches
 * that drive the collector over HTTP (collector-http, verify-under-load). Needs wrk
 * (`apt-get install -y wrk`) and Linux (/proc).
 */
import { execFile, execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { log } from './bench-harness.ts'

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())

/** Throws a clear error when wrk is not installed. */
export function requireWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('wrk is not installed: apt-get install -y wrk')
  }
}

/** utime + stime of process `pid`, all threads, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name (field 2) may hold spaces: count fields from its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12])
}

/**
 * Waits until every server used at most IDLE_TICKS in a 500 ms window (120 s at most), so that
 * one server's leftover work (the collector's index catch-up) does not slow the next run down;
 * returns the ticks each used meanwhile.
 */
export const IDLE_TICKS = 2
export async function settle<Name extends string>(servers: ReadonlyArray<{ name: Name; pid: number }>): Promise<{ ticks: Map<Name, number>; seconds: number }> {
  const start = new Map(servers.map((s) => [s.name, cpuTicks(s.pid)]))
  const t0 = performance.now()
  let previous = new Map(start)
  for (;;) {
    await sleep(500)
    const current = new Map(servers.map((s) => [s.name, cpuTicks(s.pid)]))
    const busy = servers.filter((s) => current.get(s.name)! - previous.get(s.name)! > IDLE_TICKS)
    previous = current
    if (busy.length === 0) break
    if (performance.now() - t0 > 120_000) {
      log(`still busy after 120 s: ${busy.map((s) => s.name).join(', ')}; measuring anyway`)
      break
    }
  }
  return { ticks: new Map(servers.map((s) => [s.name, previous.get(s.name)! - start.get(s.name)!])), seconds: (performance.now() - t0) / 1000 }
}

export interface WrkResult { requests: number; seconds: number; errors: number; p50ms: number; p99ms: number }

const execFileAsync = promisify(execFile)

/** One wrk run of `script` against POST `url`/v1/events; the bench's event loop stays free meanwhile. */
export async function wrk(script: string, url: string, connections: number, seconds: number): Promise<WrkResult> {
  const threads = connections >= 16 ? 2 : 1
  const { stdout } = await execFileAsync('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, `${url}/v1/events`], { encoding: 'utf8' })
  const m = /RESULT (\d+) ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(stdout)
  if (!m) throw new Error(`wrk printed no result:\n${stdout}`)
  return { requests: Number(m[1]), seconds: Number(m[2]), errors: Number(m[3]), p50ms: Number(m[4]), p99ms: Number(m[5]) }
}

/**
 * A wrk script posting `body`. No `response` callback: wrk would hand every answer to Lua,
 * CPU taken from the servers on these 2 cores; summary.errors.status counts statuses > 399.
 */
export function wrkScript(dir: string, name: string, body: string, token: string): string {
  const bodyFile = join(dir, `${name}.json`)
  writeFileSync(bodyFile, body)
  const script = join(dir, `${name}.lua`)
  writeFileSync(script, `
local f = io.open(${JSON.stringify(bodyFile)}, "r"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ${token}"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %f %d %f %f\\n", summary.requests, summary.duration / 1e6,
    e.status + e.connect + e.read + e.write + e.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
`)
  return script
}

/** A JSON body of `n` order events over 10 projects, as a trading bot sends them. */
export function ingestBody(n: number, offset = 0): string {
  return JSON.stringify(Array.from({ length: n }, (_, i) => ({
    project: `BenchBot${(offset + i) % 10}`, type: ['order_submitted', 'order_filled', 'trade_opened'][i % 3], severity: 'info',
    message: `Submitted order ${offset + i} EURUSD buy 10000 @ 1.0850`, source: 'OrderRouter',
    data: { symbol: 'EURUSD', side: 'buy', quantity: 10000, price: 1.085, order_id: `o-${offset + i}` },
  })))
}
