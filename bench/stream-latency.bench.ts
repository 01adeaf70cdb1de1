/**
 * stream-latency: from an answered POST /v1/events to the arrival at WebSocket clients, at a
 * paced 2,000 events/s (batches of 10 every 5 ms) with 50 unfiltered clients of
 * GET /v1/stream connected. The clients run in a process of their own (stream-clients.ts;
 * it shares the 2 cores with the collector and with this process, which posts); every event
 * carries its batch number, and the clients note when each batch arrived on the wall clock,
 * which every process of the machine shares. Reported: arrival minus the POST's answer (the
 * target) and arrival minus the planned send time, over every client and batch, after a
 * warm-up. No reference server: the figure is a wall time against an absolute target.
 *
 *   npm run bench -- stream-latency    BENCH_SECONDS=20
 */
import { join } from 'node:path'
import { type Metric, QUICK, log, makeTempDir, percentile, removeTempDir, round, runBench } from './bench-harness.ts'
import { startCollector } from './collector-child.ts'
import { CLK_TCK, cpuTicks } from './http-load.ts'
import { StreamClients, pacedPost, streamUrl } from './stream-load.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 4 : 20))
const WARMUP_SECONDS = 2
const RATE = 2000
const BATCH = 10
const CLIENTS = 50

await runBench(import.meta.url, async () => {
  const dir = makeTempDir('tt-bench-stream-')
  // Killed in `finally`: a live child would keep this process from ever exiting.
  const collector = await startCollector(join(dir, 'data'), { TRADETRAIL_STREAM_MAX_PER_TOKEN: '1000' })
  const clients = new StreamClients()
  try {
    await clients.connect(Array.from({ length: CLIENTS }, () => streamUrl(collector.url)), collector.token)
    log(`${CLIENTS} clients connected; warm-up ${WARMUP_SECONDS} s, then ${SECONDS} s at ${RATE} events/s`)
    await pacedPost(collector.url, collector.token, RATE, BATCH, WARMUP_SECONDS, 0)
    const firstBatch = (WARMUP_SECONDS * RATE) / BATCH
    await clients.ask({ cmd: 'reset', arrivals: true, keepFrames: 0 })
    const ticks = { collector: cpuTicks(collector.child.pid!), clients: cpuTicks(clients.child.pid!) }
    const run = await pacedPost(collector.url, collector.token, RATE, BATCH, SECONDS, firstBatch)
    // Let the last batches arrive before reading the arrivals.
    const deadline = performance.now() + 5000
    let counts = await clients.counts()
    while (counts.events.some((n) => n < run.latencyMs.length * BATCH) && performance.now() < deadline) counts = await clients.counts()
    const cpu = {
      collector: (cpuTicks(collector.child.pid!) - ticks.collector) / CLK_TCK / run.seconds,
      clients: (cpuTicks(clients.child.pid!) - ticks.clients) / CLK_TCK / run.seconds,
    }
    const { arrivals } = await clients.ask<{ arrivals: Array<Array<[number, number]>> }>({ cmd: 'arrivals' })
    const fromAnswer: number[] = []
    const fromPlan: number[] = []
    let missing = 0
    for (const client of arrivals) {
      const at = new Map(client)
      for (let i = 0; i < run.answeredAt.length; i++) {
        const t = at.get(firstBatch + i)
        if (t === undefined) { missing++; continue }
        fromAnswer.push(t - run.answeredAt[i]!)
        fromPlan.push(t - run.plannedAt[i]!)
      }
    }
    const ingest = [...run.latencyMs]
    log(`arrival − answer p50 ${round(percentile(fromAnswer, 50), 2)} ms, p99 ${round(percentile(fromAnswer, 99), 2)} ms; ${missing} batch arrivals missing; CPU collector ${round(cpu.collector, 2)}, clients ${round(cpu.clients, 2)} cores`)
    const metrics: Metric[] = [
      { name: 'answered POST → client, p50', value: round(percentile(fromAnswer, 50), 2), unit: 'ms' },
      { name: 'answered POST → client, p99', value: round(percentile(fromAnswer, 99), 2), unit: 'ms', target: { op: '<', value: 25 } },
      { name: 'planned send → client, p50', value: round(percentile(fromPlan, 50), 2), unit: 'ms' },
      { name: 'planned send → client, p99', value: round(percentile(fromPlan, 99), 2), unit: 'ms' },
      { name: 'ingest (planned send → answer), p99', value: round(percentile(ingest, 99), 2), unit: 'ms' },
    ]
    const failures: string[] = []
    if (run.errors > 0) failures.push(`${run.errors} POSTs failed`)
    if (missing > 0) failures.push(`${missing} (client, batch) arrivals missing`)
    return {
      metrics,
      details: {
        seconds: SECONDS, eventsPerSec: RATE, batch: BATCH, clients: CLIENTS, samples: fromAnswer.length,
        maxFromAnswerMs: round(percentile(fromAnswer, 100), 2), p999FromAnswerMs: round(percentile(fromAnswer, 99.9), 2),
        ingestP50Ms: round(percentile(ingest, 50), 2), cpuCores: { collector: round(cpu.collector, 2), clients: round(cpu.clients, 2) },
        missed: counts.missed.reduce((a, b) => a + b, 0),
      },
      ...(failures.length > 0 ? { failure: failures.join('; ') } : {}),
    }
  } finally {
    clients.stop()
    collector.child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
