/**
 * stream-ingest: what live streams cost ingest. A paced poster (stream-load.ts: batches of 100
 * at a fixed 20,000 events/s, latency from each batch's planned send time, as wrk2 counts it)
 * against the collector with no stream client, and with 100 clients of GET /v1/stream: 95
 * filtered to one project of 100 (~1% of the events) and 5 unfiltered. The clients run in a
 * process of their own (stream-clients.ts), which shares the 2 cores with the collector and
 * with this process. Runs alternate none, clients, clients, none, … (BENCH_ROUNDS pairs), the
 * collector idle before each; the ratio is the median of each pair's p99 ratio.
 *
 *   npm run bench -- stream-ingest    BENCH_SECONDS=15 (per run)  BENCH_ROUNDS=2
 */
import { join } from 'node:path'
import { type Metric, QUICK, log, makeTempDir, median, percentile, removeTempDir, round, runBench } from './bench-harness.ts'
import { startCollector } from './collector-child.ts'
import { CLK_TCK, cpuTicks, settle } from './http-load.ts'
import { PROJECTS, StreamClients, pacedPost, streamUrl } from './stream-load.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 15))
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2)
const RATE = 20_000
const BATCH = 100
const FILTERED = 95
const UNFILTERED = 5

type Mode = 'none' | 'clients'
interface Run { mode: Mode; round: number; p50ms: number; p99ms: number; errors: number; collectorCores: number; clientCores: number; delivered: number; missed: number }

await runBench(import.meta.url, async () => {
  const dir = makeTempDir('tt-bench-stream-ingest-')
  // Killed in `finally`: a live child would keep this process from ever exiting.
  const collector = await startCollector(join(dir, 'data'), { TRADETRAIL_STREAM_MAX_PER_TOKEN: '1000' })
  const clients = new StreamClients()
  const runs: Run[] = []
  try {
    const pid = collector.child.pid!
    const urls = [
      ...Array.from({ length: FILTERED }, (_, i) => streamUrl(collector.url, `project=StreamBot${(i * 7) % PROJECTS}`)),
      ...Array.from({ length: UNFILTERED }, () => streamUrl(collector.url)),
    ]
    let batch = 0
    log(`warm-up, then ${ROUNDS} × (none, clients) of ${SECONDS} s at ${RATE} events/s`)
    batch += (await pacedPost(collector.url, collector.token, RATE, BATCH, 3, batch)).latencyMs.length
    for (let r = 1; r <= ROUNDS; r++) {
      for (const mode of (r % 2 === 1 ? ['none', 'clients'] : ['clients', 'none']) as Mode[]) {
        if (mode === 'clients') await clients.connect(urls, collector.token)
        await settle([{ name: 'collector', pid }])
        await clients.ask({ cmd: 'reset', arrivals: false, keepFrames: 0 })
        const ticks = { collector: cpuTicks(pid), clients: cpuTicks(clients.child.pid!) }
        const paced = await pacedPost(collector.url, collector.token, RATE, BATCH, SECONDS, batch)
        batch += paced.latencyMs.length
        const counts = await clients.counts()
        const latency = [...paced.latencyMs]
        const run: Run = {
          mode, round: r, p50ms: round(percentile(latency, 50), 2), p99ms: round(percentile(latency, 99), 2), errors: paced.errors,
          collectorCores: round((cpuTicks(pid) - ticks.collector) / CLK_TCK / paced.seconds, 2),
          clientCores: round((cpuTicks(clients.child.pid!) - ticks.clients) / CLK_TCK / paced.seconds, 2),
          delivered: counts.events.reduce((a, b) => a + b, 0), missed: counts.missed.reduce((a, b) => a + b, 0),
        }
        runs.push(run)
        log(`round ${r}, ${mode}: ingest p50 ${run.p50ms} ms, p99 ${run.p99ms} ms; CPU collector ${run.collectorCores}, clients ${run.clientCores} cores; ${run.delivered} delivered, ${run.missed} missed`)
        if (mode === 'clients') await clients.ask({ cmd: 'close' })
      }
    }
    const of = (mode: Mode): Run[] => runs.filter((run) => run.mode === mode)
    const ratio = median(of('clients').map((run) => run.p99ms / of('none').find((o) => o.round === run.round)!.p99ms))
    const metrics: Metric[] = [
      { name: 'ingest p99 at 20k events/s, no stream client', value: median(of('none').map((r) => r.p99ms)), unit: 'ms' },
      { name: `ingest p99 at 20k events/s, ${FILTERED} filtered + ${UNFILTERED} unfiltered clients`, value: median(of('clients').map((r) => r.p99ms)), unit: 'ms' },
      { name: 'ratio p99 with clients / without', value: round(ratio, 3), unit: '', target: { op: '<=', value: 1.2 } },
      { name: 'ingest p50, no client / with clients', value: median(of('none').map((r) => r.p50ms)), unit: 'ms', note: `with clients: ${median(of('clients').map((r) => r.p50ms))} ms` },
    ]
    const errors = runs.reduce((n, run) => n + run.errors, 0)
    return {
      metrics, details: { seconds: SECONDS, rounds: ROUNDS, eventsPerSec: RATE, batch: BATCH, filtered: FILTERED, unfiltered: UNFILTERED, runs },
      ...(errors > 0 ? { failure: `${errors} POSTs failed` } : {}),
    }
  } finally {
    clients.stop()
    collector.child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
