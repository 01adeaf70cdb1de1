/**
 * The collector over HTTP, driven by wrk from a separate process (it shares the 2 cores),
 * against minimal reference servers fed the same bodies in the same run:
 *   - `sqlite`: fixtures/sqlite-reference-server.ts, each event's JSON text as a row of a
 *     one-column table (WAL, synchronous=FULL), one transaction per event-loop turn;
 *   - `ndjson`: fixtures/ndjson-reference-server.ts, NDJSON lines, one write + fdatasync per turn;
 *   - `parse-only`: fixtures/parse-only-server.ts, parses and answers (batches only): what
 *     HTTP and JSON cost without storage, i.e. where a reference's time goes.
 * Two phases: batches of 100 events from 16 connections, and one event per request from 64.
 * Each round runs every server once per phase, the order rotating from round to round
 * (A B C, B C A, C A B); figures are medians over rounds, and a ratio is the median of the
 * rounds' ratios (each taken from runs minutes apart at most). Before each run every server
 * must be idle, so that the collector's search index catching up after its own run does not
 * slow the next server down; that catch-up is added to the collector's CPU per event in a
 * figure of its own. Then the collector's RSS once 1M events are stored.
 * Needs wrk (`apt-get install -y wrk`) and Linux (/proc).
 *
 *   npm run bench -- collector-http    BENCH_SECONDS=20 (per wrk run)  BENCH_ROUNDS=5
 *                                      BENCH_SERVERS=tradetrail,sqlite (a subset of all four)
 */
import type { ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { BENCH_DIR, type Metric, QUICK, log, makeTempDir, median, removeTempDir, round, runBench, scaled } from './bench-harness.ts'
import { ingested, rssMiB, startCollector, startProcess } from './collector-child.ts'
import { CLK_TCK, IDLE_TICKS, cpuTicks, ingestBody, requireWrk, settle, wrk, wrkScript } from './http-load.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 15))
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

type ServerName = 'tradetrail' | 'sqlite' | 'ndjson' | 'parse-only'
const ALL_SERVERS: readonly ServerName[] = ['tradetrail', 'sqlite', 'ndjson', 'parse-only']
const SERVERS = (process.env.BENCH_SERVERS?.split(',') ?? ALL_SERVERS) as ServerName[]
for (const s of SERVERS) if (!ALL_SERVERS.includes(s)) throw new Error(`BENCH_SERVERS: unknown server ${s} (known: ${ALL_SERVERS.join(', ')})`)
const LABEL: Record<ServerName, string> = {
  tradetrail: 'Tradetrail', sqlite: 'SQLite reference', ndjson: 'NDJSON reference', 'parse-only': 'parse-only Fastify',
}

interface Phase {
  key: 'batch' | 'single'
  label: string
  eventsPerRequest: number
  connections: number
  servers: readonly ServerName[]
  /** Tradetrail / SQLite reference must reach this. */
  ratioTarget: number
  p99TargetMs?: number
}
const PHASES: readonly Phase[] = [
  { key: 'batch', label: 'batches of 100, 16 conn', eventsPerRequest: 100, connections: 16, servers: ALL_SERVERS, ratioTarget: 0.6, p99TargetMs: 100 },
  { key: 'single', label: '1 event/request, 64 conn', eventsPerRequest: 1, connections: 64, servers: ['tradetrail', 'sqlite', 'ndjson'], ratioTarget: 0.8 },
]

interface Server { name: ServerName; url: string; pid: number }

/** One wrk run against one server. */
interface Run {
  server: ServerName
  round: number
  requests: number
  seconds: number
  /** Non-2xx answers plus socket errors (connect, read, write, timeout). */
  errors: number
  eventsPerSec: number
  p50ms: number
  p99ms: number
  /** CPU of the server process during the run, per event answered. */
  cpuUsPerEvent: number
  /** CPU the server spent after the run until it was idle again (the collector's index catch-up). */
  settleCpuMs: number
  settleSec: number
}

/** Lines in an NDJSON file (newline bytes), read in 8 MiB chunks. */
function countLines(path: string): number {
  if (!existsSync(path)) return 0
  const fd = openSync(path, 'r')
  const chunk = Buffer.allocUnsafe(8 << 20)
  let lines = 0
  try {
    for (let n = readSync(fd, chunk); n > 0; n = readSync(fd, chunk)) {
      const view = chunk.subarray(0, n)
      for (let at = view.indexOf(10); at !== -1; at = view.indexOf(10, at + 1)) lines++
    }
  } finally {
    closeSync(fd)
  }
  return lines
}

const rotate = <T>(items: readonly T[], by: number): T[] => items.map((_, i) => items[(i + by) % items.length]!)

await runBench(import.meta.url, async () => {
  requireWrk()
  const dir = makeTempDir('tt-bench-http-')
  const children: ChildProcess[] = []
  try {
    // Started one by one: two Fastify processes starting at once would each slow the other's start.
    const servers: Server[] = []
    let collector: { url: string; token: string; child: ChildProcess } | undefined
    if (SERVERS.includes('tradetrail')) {
      collector = await startCollector(join(dir, 'data'))
      children.push(collector.child)
      servers.push({ name: 'tradetrail', url: collector.url, pid: collector.child.pid! })
    }
    const fixtures: Array<[ServerName, string]> = [['sqlite', 'sqlite-reference-server.ts'], ['ndjson', 'ndjson-reference-server.ts'], ['parse-only', 'parse-only-server.ts']]
    for (const [name, file] of fixtures) {
      if (!SERVERS.includes(name)) continue
      const started = await startProcess(['--import', 'tsx', join(BENCH_DIR, 'fixtures', file), dir], {}, /listening (\d+)/)
      children.push(started.child)
      servers.push({ name, url: `http://127.0.0.1:${started.match[1]}`, pid: started.child.pid! })
    }
    const byName = new Map(servers.map((s) => [s.name, s]))
    const token = collector?.token ?? 'none'
    const scripts = new Map(PHASES.map((p) => [p.key, wrkScript(dir, p.key, ingestBody(p.eventsPerRequest), token)]))
    const phaseServers = (p: Phase): Server[] => p.servers.filter((name) => byName.has(name)).map((name) => byName.get(name)!)

    log(`warm-up, then ${ROUNDS} rounds of ${SECONDS} s per server and phase; servers: ${servers.map((s) => s.name).join(', ')}`)
    for (const phase of PHASES) for (const s of phaseServers(phase)) await wrk(scripts.get(phase.key)!, s.url, phase.connections, 2)

    const runs: Record<Phase['key'], Run[]> = { batch: [], single: [] }
    let previous: Run | undefined
    for (let r = 0; r < ROUNDS; r++) {
      for (const phase of PHASES) {
        for (const server of rotate(phaseServers(phase), r)) {
          const idle = await settle(servers)
          if (previous !== undefined) {
            previous.settleCpuMs = round(idle.ticks.get(previous.server)! * 1000 / CLK_TCK)
            previous.settleSec = round(idle.seconds, 1)
          }
          const before = cpuTicks(server.pid)
          const w = await wrk(scripts.get(phase.key)!, server.url, phase.connections, SECONDS)
          const cpuSec = (cpuTicks(server.pid) - before) / CLK_TCK
          const events = w.requests * phase.eventsPerRequest
          const run: Run = {
            server: server.name, round: r + 1, requests: w.requests, seconds: round(w.seconds, 2), errors: w.errors,
            eventsPerSec: round(events / w.seconds), p50ms: w.p50ms, p99ms: w.p99ms,
            cpuUsPerEvent: round(cpuSec * 1e6 / events, 2), settleCpuMs: 0, settleSec: 0,
          }
          runs[phase.key].push(run)
          previous = run
          log(`round ${r + 1}, ${phase.label}, ${server.name}: ${run.eventsPerSec.toLocaleString('en-US')} events/s, p50 ${run.p50ms} ms, p99 ${run.p99ms} ms, ${run.cpuUsPerEvent} µs CPU/event${w.errors > 0 ? `, ${w.errors} ERRORS` : ''}`)
        }
      }
    }
    const lastIdle = await settle(servers)
    if (previous !== undefined) {
      previous.settleCpuMs = round(lastIdle.ticks.get(previous.server)! * 1000 / CLK_TCK)
      previous.settleSec = round(lastIdle.seconds, 1)
    }

    const metrics: Metric[] = []
    const failures: string[] = []
    for (const phase of PHASES) {
      const of = (name: ServerName): Run[] => runs[phase.key].filter((run) => run.server === name)
      const med = (name: ServerName, pick: (run: Run) => number): number => median(of(name).map(pick))
      const ratio = (a: ServerName, b: ServerName): number => median(of(a).map((run) => run.eventsPerSec / of(b).find((o) => o.round === run.round)!.eventsPerSec))
      const present = phase.servers.filter((name) => byName.has(name))
      for (const name of present) metrics.push({ name: `${phase.label}: ${LABEL[name]}`, value: med(name, (run) => run.eventsPerSec), unit: 'events/s' })
      if (byName.has('tradetrail') && byName.has('sqlite')) {
        metrics.push({ name: `${phase.label}: ratio Tradetrail / SQLite reference`, value: round(ratio('tradetrail', 'sqlite'), 3), unit: '', target: { op: '>=', value: phase.ratioTarget } })
      }
      if (byName.has('tradetrail') && byName.has('ndjson')) {
        metrics.push({ name: `${phase.label}: ratio Tradetrail / NDJSON reference`, value: round(ratio('tradetrail', 'ndjson'), 3), unit: '' })
      }
      if (byName.has('tradetrail')) metrics.push({ name: `${phase.label}: Tradetrail latency p50`, value: med('tradetrail', (run) => run.p50ms), unit: 'ms' })
      for (const name of present) {
        metrics.push({
          name: `${phase.label}: ${LABEL[name]} latency p99`, value: med(name, (run) => run.p99ms), unit: 'ms',
          ...(name === 'tradetrail' && phase.p99TargetMs !== undefined ? { target: { op: '<' as const, value: phase.p99TargetMs } } : {}),
        })
      }
      for (const name of present) metrics.push({ name: `${phase.label}: ${LABEL[name]} CPU per event`, value: med(name, (run) => run.cpuUsPerEvent), unit: 'µs' })
      if (byName.has('tradetrail')) {
        metrics.push({
          name: `${phase.label}: Tradetrail CPU per event, with index catch-up`, unit: 'µs',
          value: round(med('tradetrail', (run) => run.cpuUsPerEvent + run.settleCpuMs * 1000 / (run.requests * phase.eventsPerRequest)), 2),
          note: 'adds the CPU the collector spent after the run until idle',
        })
      }
      for (const name of present.filter((n) => n !== 'parse-only')) {
        const errors = of(name).reduce((sum, run) => sum + run.errors, 0)
        if (errors > 0) failures.push(`${errors} non-2xx answers or socket errors from ${name} (${phase.label})`)
      }
    }

    // What each server answered must be stored: no reference may win by dropping events.
    const answered = (name: ServerName): number =>
      PHASES.reduce((sum, p) => sum + runs[p.key].filter((run) => run.server === name).reduce((s, run) => s + run.requests * p.eventsPerRequest, 0), 0)
    const stored: Partial<Record<ServerName, { answered: number; stored: number }>> = {}
    if (collector) stored.tradetrail = { answered: answered('tradetrail'), stored: await ingested(collector.url, collector.token) }
    if (byName.has('sqlite')) {
      const db = new Database(join(dir, 'sqlite-reference.db'), { readonly: true })
      stored.sqlite = { answered: answered('sqlite'), stored: db.prepare('SELECT coalesce(max(rowid), 0) FROM events').pluck().get() as number }
      db.close()
    }
    if (byName.has('ndjson')) stored.ndjson = { answered: answered('ndjson'), stored: countLines(join(dir, 'ndjson-reference.ndjson')) }
    for (const [name, s] of Object.entries(stored)) if (s.stored < s.answered) failures.push(`${name} answered ${s.answered} events (timed runs) but stores ${s.stored} in all`)

    let rss: { events: number; mib: number } | undefined
    if (collector) {
      const target = scaled(1_000_000, 10_000)
      while (await ingested(collector.url, collector.token) < target) await wrk(scripts.get('batch')!, collector.url, 16, 5)
      rss = { events: await ingested(collector.url, collector.token), mib: rssMiB(collector.child.pid!) }
      log(`RSS after ${rss.events} events: ${rss.mib} MiB`)
      metrics.push({ name: `collector RSS after ${QUICK ? rss.events : '1M'} events`, value: rss.mib, unit: 'MiB', target: { op: '<', value: 200 }, note: `${rss.events} events stored by then` })
    }
    return {
      metrics,
      details: { seconds: SECONDS, rounds: ROUNDS, clockTicksPerSec: CLK_TCK, idleTicksPer500ms: IDLE_TICKS, runs, stored, rss },
      ...(failures.length > 0 ? { failure: failures.join('; ') } : {}),
    }
  } finally {
    for (const child of children) child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
