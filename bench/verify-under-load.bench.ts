/**
 * What `GET /v1/verify` costs the producers: the collector's ingest latency (batches of 100,
 * 16 connections, wrk) with four clients asking for /v1/verify over and over, against the same
 * ingest alone, on a trail of 150k events. Runs alternate (alone, with verifies; then the other
 * way round), each after the collector is idle again; the ratio is the median of the rounds'.
 * Target: p99 with verifies within 2× of p99 without (issue "Trust", problem 5).
 *
 *   npm run bench -- verify-under-load     BENCH_SECONDS=10 (per run)  BENCH_ROUNDS=3
 */
import { join } from 'node:path'
import { type Metric, QUICK, log, makeTempDir, median, removeTempDir, round, runBench, scaled } from './bench-harness.ts'
import { ingested, startCollector } from './collector-child.ts'
import { ingestBody, requireWrk, settle, wrk, wrkScript, type WrkResult } from './http-load.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 10))
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const TRAIL_EVENTS = scaled(150_000, 5_000)
const VERIFIERS = 4

interface Run extends WrkResult { withVerifies: boolean; verifies: number; verifyMs: number[] }

await runBench(import.meta.url, async () => {
  requireWrk()
  const dir = makeTempDir('tt-bench-verify-load-')
  const collector = await startCollector(join(dir, 'data'))
  try {
    const server = [{ name: 'collector', pid: collector.child.pid! }]
    const script = wrkScript(dir, 'batch', ingestBody(100), collector.token)
    while (await ingested(collector.url, collector.token) < TRAIL_EVENTS) await wrk(script, collector.url, 16, 3)
    log(`trail filled: ${await ingested(collector.url, collector.token)} events`)

    /** Asks for /v1/verify until `stop` is set; returns how long each answer took. */
    async function verifyLoop(stop: { done: boolean }): Promise<number[]> {
      const took: number[] = []
      while (!stop.done) {
        const t0 = performance.now()
        const response = await fetch(`${collector.url}/v1/verify`, { headers: { authorization: `Bearer ${collector.token}` } })
        await response.arrayBuffer()
        if (!response.ok) throw new Error(`GET /v1/verify answered ${response.status}`)
        took.push(performance.now() - t0)
      }
      return took
    }

    const runs: Run[] = []
    for (let r = 0; r < ROUNDS; r++) {
      for (const withVerifies of r % 2 === 0 ? [false, true] : [true, false]) {
        await settle(server)
        const stop = { done: false }
        const loops = withVerifies ? Array.from({ length: VERIFIERS }, () => verifyLoop(stop)) : []
        const result = await wrk(script, collector.url, 16, SECONDS)
        stop.done = true
        const verifyMs = (await Promise.all(loops)).flat()
        runs.push({ ...result, withVerifies, verifies: verifyMs.length, verifyMs })
        log(`round ${r + 1}, ${withVerifies ? `with ${VERIFIERS} verifiers` : 'ingest alone'}: ${round(result.requests * 100 / result.seconds).toLocaleString('en-US')} events/s, p50 ${result.p50ms} ms, p99 ${result.p99ms} ms${withVerifies ? `, ${verifyMs.length} verifies answered` : ''}${result.errors > 0 ? `, ${result.errors} ERRORS` : ''}`)
      }
    }

    const alone = runs.filter((run) => !run.withVerifies)
    const loaded = runs.filter((run) => run.withVerifies)
    const ratios = loaded.map((run, i) => run.p99ms / alone[i]!.p99ms)
    const metrics: Metric[] = [
      { name: 'ingest p99, alone', value: median(alone.map((run) => run.p99ms)), unit: 'ms' },
      { name: `ingest p99, with ${VERIFIERS} verifiers`, value: median(loaded.map((run) => run.p99ms)), unit: 'ms' },
      { name: `ingest p99 with ${VERIFIERS} verifiers / alone`, value: round(median(ratios), 2), unit: '', target: { op: '<=', value: 2 } },
      { name: 'ingest rate with verifiers / alone', value: round(median(loaded.map((run, i) => (run.requests / run.seconds) / (alone[i]!.requests / alone[i]!.seconds))), 2), unit: '' },
      { name: `verifies answered per run (${VERIFIERS} clients)`, value: median(loaded.map((run) => run.verifies)), unit: '' },
      { name: 'verify answer time, median', value: round(median(loaded.flatMap((run) => run.verifyMs))), unit: 'ms' },
    ]
    const errors = runs.reduce((sum, run) => sum + run.errors, 0)
    return {
      metrics,
      details: { seconds: SECONDS, rounds: ROUNDS, trailEvents: TRAIL_EVENTS, runs: runs.map(({ verifyMs: _, ...run }) => run) },
      ...(errors > 0 ? { failure: `${errors} non-2xx answers or socket errors` } : {}),
    }
  } finally {
    collector.child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
