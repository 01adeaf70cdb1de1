/**
 * One bot sending a steady 100,000 events/s through AuditClient (in this process) to a real
 * collector started here, for BENCH_SECONDS (default 30 s, --quick 5 s), then a shorter phase
 * in `wal` durability (10 s, --quick 3 s). The collector stores ~30k events/s on this machine,
 * so the client must spill its backlog to its spool and drain it once sending stops: the
 * bench shows what that costs the bot (event-loop delay, memory) and checks that nothing is
 * lost. The spool may grow to 2 GiB here (the default, 256 MiB, holds ~1M events of this size).
 * Every 1 ms the bench sends what is due (at most 10 ms' worth at once, so that a stalled
 * loop shows as a lower achieved rate rather than a burst).
 *
 *   npm run bench -- client-sustained   BENCH_SECONDS, BENCH_WAL_SECONDS (0 skips), BENCH_RATE,
 *                                        BENCH_SPOOL_MIB (the client's maxSpoolBytes, default 2048)
 */
import { join } from 'node:path'
import pino from 'pino'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Durability } from '@tradetrail/client'
import { type Delivery, countEmergencyLines, deliveryFailure, deliveryOf, startClient } from './bench-client.ts'
import { type Metric, QUICK, cpuNow, log, makeTempDir, now, removeTempDir, round, runBench } from './bench-harness.ts'
import { type StartedCollector, rssMiB, startCollector } from './collector-child.ts'
import { ORDER_MESSAGE, ORDER_TYPE, orderData } from './order-payload.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 5 : 30))
const WAL_SECONDS = Number(process.env.BENCH_WAL_SECONDS ?? (QUICK ? 3 : 10))
const RATE = Number(process.env.BENCH_RATE ?? 100_000)
const SPOOL_MIB = Number(process.env.BENCH_SPOOL_MIB ?? 2048)
const SAMPLE_MS = 250
const MiB = 2 ** 20

interface PhaseResult {
  durability: Durability
  seconds: number
  offered: number
  offeredRate: number
  delivered: Delivery
  /** CPU time of this process over wall time while sending: 1 is a whole core. */
  cpuShareSending: number
  drainSeconds: number
  /** Events stored over the whole phase, per second from the first send to the end of the drain. */
  collectorRate: number
  /** Events acknowledged per second while draining (the client no longer sending). */
  drainRate: number
  atStop: { queued: number; spooled: number; sent: number; dropped: number }
  rssAtStartMiB: number
  peakRssMiB: number
  peakHeapMiB: number
  /** Buffers outside the JS heap (batch bodies): most of what RSS holds above the heap. */
  peakArrayBuffersMiB: number
  spoolHighWater: number
  queuedHighWater: number
  loopDelayMs: { p50: number; p99: number; max: number }
  drainLoopDelayMs: { p99: number; max: number }
  collectorRssMiB: number
  emergencyLines: number
  timeline: Array<Record<string, number>>
}

const emergencyLines = countEmergencyLines()

async function phase(collector: StartedCollector, dir: string, durability: Durability, seconds: number): Promise<PhaseResult> {
  const project = `BenchSustained-${durability}`
  const { client, errors } = startClient(collector, project, join(dir, `spool-${durability}`), { durability, maxSpoolBytes: SPOOL_MIB * MiB })
  const rssAtStart = process.memoryUsage.rss()
  let peakRss = 0
  let peakHeap = 0
  let peakArrayBuffers = 0
  let spoolHighWater = 0
  let queuedHighWater = 0
  const timeline: Array<Record<string, number>> = []
  const t0 = now()
  const sampler = setInterval(() => {
    const { rss, heapUsed, arrayBuffers } = process.memoryUsage()
    const stats = client.stats()
    peakRss = Math.max(peakRss, rss)
    peakHeap = Math.max(peakHeap, heapUsed)
    peakArrayBuffers = Math.max(peakArrayBuffers, arrayBuffers)
    spoolHighWater = Math.max(spoolHighWater, stats.spooled)
    queuedHighWater = Math.max(queuedHighWater, stats.queued)
    timeline.push({ s: round((now() - t0) / 1000, 2), rssMiB: round(rss / MiB, 1), heapMiB: round(heapUsed / MiB, 1), queued: stats.queued, spooled: stats.spooled, sent: stats.sent })
  }, SAMPLE_MS).unref()

  const sending = monitorEventLoopDelay({ resolution: 1 })
  const perMs = RATE / 1000
  const total = Math.round(RATE * seconds)
  let n = 0
  const emergencyBefore = emergencyLines()
  sending.enable()
  const cpuStart = cpuNow()
  const start = now()
  for (;;) {
    const elapsed = now() - start
    if (elapsed >= seconds * 1000 || n >= total) break
    const due = Math.min(total, Math.ceil((elapsed + 1) * perMs), n + 10 * perMs)
    while (n < due) client.send(ORDER_TYPE, ORDER_MESSAGE, orderData(n++))
    await sleep(1)
  }
  const stopped = now()
  const cpuSending = cpuNow() - cpuStart
  sending.disable()
  const sendSeconds = (stopped - start) / 1000
  const atStop = client.stats()
  log(`${durability}: sent ${n} in ${round(sendSeconds, 2)} s (${round(n / sendSeconds)} events/s); ${JSON.stringify(atStop)}; draining`)

  const draining = monitorEventLoopDelay({ resolution: 1 })
  draining.enable()
  await client.flush(600_000)
  const drained = now()
  draining.disable()
  clearInterval(sampler)
  const delivered = await deliveryOf(client, collector, project, n, errors)
  await client.close()
  const drainSeconds = (drained - stopped) / 1000
  log(`${durability}: drained in ${round(drainSeconds, 1)} s; stored ${delivered.stored}; peak RSS ${round(peakRss / MiB)} MiB, spool high-water ${spoolHighWater}`)
  return {
    durability, seconds: round(sendSeconds, 2), offered: n, offeredRate: round(n / sendSeconds), delivered,
    cpuShareSending: round(cpuSending / (stopped - start), 2), drainSeconds: round(drainSeconds, 2), collectorRate: round(delivered.stored / ((drained - start) / 1000)),
    drainRate: round((delivered.acknowledged - atStop.sent) / drainSeconds),
    atStop: { queued: atStop.queued, spooled: atStop.spooled, sent: atStop.sent, dropped: atStop.dropped },
    rssAtStartMiB: round(rssAtStart / MiB, 1), peakRssMiB: round(peakRss / MiB, 1), peakHeapMiB: round(peakHeap / MiB, 1),
    peakArrayBuffersMiB: round(peakArrayBuffers / MiB, 1), spoolHighWater, queuedHighWater,
    loopDelayMs: { p50: round(sending.percentile(50) / 1e6, 2), p99: round(sending.percentile(99) / 1e6, 2), max: round(sending.max / 1e6, 1) },
    drainLoopDelayMs: { p99: round(draining.percentile(99) / 1e6, 2), max: round(draining.max / 1e6, 1) },
    collectorRssMiB: rssMiB(collector.child.pid!), emergencyLines: emergencyLines() - emergencyBefore,
    timeline: timeline.filter((_, i) => i % 4 === 0),
  }
}

/**
 * The reference: pino writing the same events at the same pace to a file, in this process,
 * with the event loop watched the same way. It says how much of the delay is this machine
 * (two shared cores, a collector on one of them, GC) rather than the SDK.
 */
async function pinoPhase(dir: string, seconds: number): Promise<{ offeredRate: number; loopDelayMs: { p50: number; p99: number; max: number } }> {
  const destination = pino.destination({ dest: join(dir, 'pino-sustained.log'), sync: false })
  const logger = pino(destination)
  const delay = monitorEventLoopDelay({ resolution: 1 })
  const perMs = RATE / 1000
  let n = 0
  delay.enable()
  const start = now()
  for (;;) {
    const elapsed = now() - start
    if (elapsed >= seconds * 1000) break
    const due = Math.min(Math.ceil((elapsed + 1) * perMs), n + 10 * perMs)
    while (n < due) logger.info({ type: ORDER_TYPE, data: orderData(n++) }, ORDER_MESSAGE)
    await sleep(1)
  }
  const rate = n / ((now() - start) / 1000)
  delay.disable()
  destination.flushSync()
  destination.end()
  log(`pino reference: ${round(rate)} events/s, event-loop delay p99 ${round(delay.percentile(99) / 1e6, 2)} ms`)
  return { offeredRate: round(rate), loopDelayMs: { p50: round(delay.percentile(50) / 1e6, 2), p99: round(delay.percentile(99) / 1e6, 2), max: round(delay.max / 1e6, 1) } }
}

function metricsOf(r: PhaseResult, label: string): Metric[] {
  return [
    { name: `${label}: offered rate achieved`, value: r.offeredRate, unit: 'events/s' },
    { name: `${label}: events stored by the collector`, value: r.delivered.stored, unit: 'events', target: { op: '>=', value: r.offered } },
    { name: `${label}: drain after sending stopped`, value: r.drainSeconds, unit: 's' },
    { name: `${label}: collector ingest rate`, value: r.collectorRate, unit: 'events/s' },
    { name: `${label}: peak RSS (bounded)`, value: r.peakRssMiB, unit: 'MiB', target: { op: '<', value: 200 } },
    { name: `${label}: peak heap used`, value: r.peakHeapMiB, unit: 'MiB' },
    { name: `${label}: spool high-water`, value: r.spoolHighWater, unit: 'events' },
    { name: `${label}: event-loop delay p99, sending`, value: r.loopDelayMs.p99, unit: 'ms', target: { op: '<', value: 2 } },
  ]
}

await runBench(import.meta.url, async () => {
  const dir = makeTempDir('tt-bench-client-sustained-')
  const collector = await startCollector(join(dir, 'data'))
  try {
    log(`memory durability: ${RATE} events/s for ${SECONDS} s${WAL_SECONDS > 0 ? `, then wal for ${WAL_SECONDS} s` : ''}`)
    const memory = await phase(collector, dir, 'memory', SECONDS)
    const wal = WAL_SECONDS > 0 ? await phase(collector, dir, 'wal', WAL_SECONDS) : undefined
    const reference = await pinoPhase(dir, Math.min(SECONDS, QUICK ? 3 : 10))
    const failures = [memory, ...(wal ? [wal] : [])].flatMap((r) => deliveryFailure(r.durability, r.delivered) ?? [])
    return {
      metrics: [
        ...metricsOf(memory, 'memory'), ...(wal ? metricsOf(wal, 'wal') : []),
        { name: 'reference: pino to a file, same pace, event-loop delay p99', value: reference.loopDelayMs.p99, unit: 'ms' },
        { name: 'ratio memory / pino, event-loop delay p99', value: round(memory.loopDelayMs.p99 / reference.loopDelayMs.p99, 2), unit: '' },
      ],
      details: { rate: RATE, spoolMaxMiB: SPOOL_MIB, sampleMs: SAMPLE_MS, memory, ...(wal ? { wal } : {}), reference },
      ...(failures.length > 0 ? { failure: failures.join('; ') } : {}),
    }
  } finally {
    collector.child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
