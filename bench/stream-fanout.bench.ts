/**
 * stream-fanout: events delivered per second in total to 100 unfiltered clients of
 * GET /v1/stream while wrk posts batches of 100 as fast as the collector takes them
 * (4 connections), against a bare `ws` server (fixtures/ws-broadcast-server.ts) broadcasting
 * the very frames the collector sent (client 0 keeps them) to 100 clients, as fast as they take
 * them, in the same run. The clients run in a process of their own (stream-clients.ts) and count
 * events without parsing; it shares the 2 cores with the server under test (and, for the
 * collector, with wrk). Events a gap frame reports missed are not delivered: reported apart.
 * Each round runs the collector, then the reference; figures are medians over rounds.
 *
 *   npm run bench -- stream-fanout    BENCH_SECONDS=10 (measured, per run)  BENCH_ROUNDS=2
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BENCH_DIR, type Metric, QUICK, log, makeTempDir, median, removeTempDir, round, runBench } from './bench-harness.ts'
import { startCollector, startProcess } from './collector-child.ts'
import { CLK_TCK, cpuTicks, ingestBody, requireWrk, settle, wrk, wrkScript } from './http-load.ts'
import { type Counts, StreamClients, streamUrl } from './stream-load.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 10))
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const WARMUP_SECONDS = 2
const CLIENTS = 100
const KEEP_FRAMES = 5000

interface Run { server: 'tradetrail' | 'ws'; round: number; deliveredPerSec: number; missedPerSec: number; slowestClientPerSec: number; serverCores: number; clientCores: number }

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0)

/** Deliveries between two counts, per second, and the CPU of the server and the clients meanwhile. */
async function measure(clients: StreamClients, serverPid: number): Promise<Omit<Run, 'server' | 'round'>> {
  const before: Counts = await clients.counts()
  const ticks = { server: cpuTicks(serverPid), clients: cpuTicks(clients.child.pid!) }
  await sleep(SECONDS * 1000)
  const after: Counts = await clients.counts()
  const seconds = (after.at - before.at) / 1000
  return {
    deliveredPerSec: round((sum(after.events) - sum(before.events)) / seconds),
    missedPerSec: round((sum(after.missed) - sum(before.missed)) / seconds),
    slowestClientPerSec: round(Math.min(...after.events.map((n, i) => n - before.events[i]!)) / seconds),
    serverCores: round((cpuTicks(serverPid) - ticks.server) / CLK_TCK / seconds, 2),
    clientCores: round((cpuTicks(clients.child.pid!) - ticks.clients) / CLK_TCK / seconds, 2),
  }
}

await runBench(import.meta.url, async () => {
  requireWrk()
  const dir = makeTempDir('tt-bench-fanout-')
  // Killed in `finally`: a live child would keep this process from ever exiting.
  const collector = await startCollector(join(dir, 'data'), { TRADETRAIL_STREAM_MAX_PER_TOKEN: '1000' })
  const clients = new StreamClients()
  const framesFile = join(dir, 'frames.jsonl')
  const runs: Run[] = []
  try {
    const script = wrkScript(dir, 'batch', ingestBody(100), collector.token)
    let framesKept = 0
    for (let r = 1; r <= ROUNDS; r++) {
      await settle([{ name: 'collector', pid: collector.child.pid! }])
      await clients.connect(Array.from({ length: CLIENTS }, () => streamUrl(collector.url)), collector.token)
      await clients.ask({ cmd: 'reset', arrivals: false, keepFrames: r === 1 ? KEEP_FRAMES : 0 })
      const load = wrk(script, collector.url, 4, WARMUP_SECONDS + SECONDS + 1)
      await sleep(WARMUP_SECONDS * 1000)
      const run: Run = { server: 'tradetrail', round: r, ...(await measure(clients, collector.child.pid!)) }
      const w = await load
      runs.push(run)
      log(`round ${r}, collector: ${run.deliveredPerSec.toLocaleString('en-US')} events/s delivered (${run.missedPerSec} missed/s; ingest ${round(w.requests * 100 / w.seconds)} events/s), CPU collector ${run.serverCores}, clients ${run.clientCores} cores`)
      if (r === 1) {
        const { frames } = await clients.ask<{ frames: string[] }>({ cmd: 'frames' })
        framesKept = frames.length
        writeFileSync(framesFile, frames.join('\n') + '\n')
      }
      await clients.ask({ cmd: 'close' })

      const reference = await startProcess(['--import', 'tsx', join(BENCH_DIR, 'fixtures', 'ws-broadcast-server.ts'), framesFile, String(CLIENTS)], {}, /listening (\d+)/)
      try {
        await clients.connect(Array.from({ length: CLIENTS }, () => `ws://127.0.0.1:${reference.match[1]}/`))
        await sleep(WARMUP_SECONDS * 1000)
        const ref: Run = { server: 'ws', round: r, ...(await measure(clients, reference.child.pid!)) }
        runs.push(ref)
        log(`round ${r}, bare ws: ${ref.deliveredPerSec.toLocaleString('en-US')} events/s delivered, CPU server ${ref.serverCores}, clients ${ref.clientCores} cores`)
        await clients.ask({ cmd: 'close' })
      } finally {
        reference.child.kill('SIGKILL')
      }
    }
    const of = (server: Run['server']): Run[] => runs.filter((run) => run.server === server)
    const med = (server: Run['server'], pick: (run: Run) => number): number => median(of(server).map(pick))
    const ratio = median(of('tradetrail').map((run) => run.deliveredPerSec / of('ws').find((o) => o.round === run.round)!.deliveredPerSec))
    const metrics: Metric[] = [
      { name: `delivered to ${CLIENTS} unfiltered clients: Tradetrail`, value: med('tradetrail', (r) => r.deliveredPerSec), unit: 'events/s', target: { op: '>=', value: 200_000 } },
      { name: `delivered to ${CLIENTS} clients: bare ws broadcast, same frames`, value: med('ws', (r) => r.deliveredPerSec), unit: 'events/s' },
      { name: 'ratio Tradetrail / bare ws', value: round(ratio, 3), unit: '' },
      { name: 'skipped (gap frames): Tradetrail', value: med('tradetrail', (r) => r.missedPerSec), unit: 'events/s' },
    ]
    return { metrics, details: { seconds: SECONDS, rounds: ROUNDS, clients: CLIENTS, wrkConnections: 4, framesReplayed: framesKept, runs } }
  } finally {
    clients.stop()
    collector.child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
