/**
 * The Python client sustaining 20,000 events/s to a real collector, nothing lost: `memory`
 * durability for 30 s, then `wal` for 10 s (bench/python/sustained.py says how). Every event sent
 * must be acknowledged and stored, none dropped.
 *
 *   npm run bench -- python-sustained   BENCH_RATE (20000), BENCH_SECONDS (30), BENCH_WAL_SECONDS (10; 0 skips)
 */
import { join } from 'node:path'
import { type Metric, makeTempDir, removeTempDir, runBench } from './bench-harness.ts'
import { startCollector } from './collector-child.ts'
import { runPythonBench } from './python-child.ts'

interface Phase {
  durability: string
  offered: number
  offeredRate: number
  drainSeconds: number
  collectorRate: number
  cpuShareSending: number
  tickLateMs: { p50: number; p99: number; max: number }
  highWater: { queued: number; spooled: number }
  stored: number
  dropped: number
  complete: boolean
}

await runBench(import.meta.url, async () => {
  const dir = makeTempDir('tt-bench-python-sustained-')
  const collector = await startCollector(join(dir, 'data'))
  try {
    const r = await runPythonBench<{ rate: number; phases: Phase[]; peakRssMiB: number }>('sustained.py', collector, dir)
    const metrics: Metric[] = r.phases.flatMap((p): Metric[] => [
      { name: `${p.durability}: offered rate achieved`, value: p.offeredRate, unit: 'events/s', target: { op: '>=', value: r.rate * 0.98 } },
      { name: `${p.durability}: events stored by the collector`, value: p.stored, unit: 'events', target: { op: '>=', value: p.offered } },
      { name: `${p.durability}: events dropped`, value: p.dropped, unit: 'events', target: { op: '<=', value: 0 } },
      { name: `${p.durability}: drain after sending stopped`, value: p.drainSeconds, unit: 's' },
      { name: `${p.durability}: spool high-water`, value: p.highWater.spooled, unit: 'events' },
      { name: `${p.durability}: sending tick late, p99`, value: p.tickLateMs.p99, unit: 'ms' },
      { name: `${p.durability}: CPU share while sending`, value: p.cpuShareSending, unit: 'cores' },
    ])
    metrics.push({ name: 'peak RSS of the Python process', value: r.peakRssMiB, unit: 'MiB' })
    const failed = r.phases.filter((p) => !p.complete).map((p) => `${p.durability}: not every event was delivered (sent ${p.offered}, stored ${p.stored}, dropped ${p.dropped})`)
    return { metrics, details: r as unknown as Record<string, unknown>, ...(failed.length > 0 ? { failure: failed.join('; ') } : {}) }
  } finally {
    collector.child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
