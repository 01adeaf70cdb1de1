/**
 * The Python client's `send()` per call against the standard `logging` module writing to a file, in
 * the same Python process and run (bench/python/send.py says how), then the whole CPU cost per
 * event of each. Target: send() at most half of logging's per-call cost. Every event sent must be
 * stored by the end.
 *
 *   npm run bench -- python-send       BENCH_ROUNDS=5, BENCH_BLOCKS=50 (blocks of 1,000 calls per variant and round)
 */
import { join } from 'node:path'
import { type Metric, makeTempDir, removeTempDir, round, runBench } from './bench-harness.ts'
import { startCollector } from './collector-child.ts'
import { runPythonBench } from './python-child.ts'

interface SendResult {
  python: string
  median: Record<string, number>
  p99: Record<string, number>
  cpuUsPerEvent: { send: number; logging: number }
  expected: number
  sent: number
  dropped: number
  undelivered: number
  stored: number
  errors: Record<string, number>
}

await runBench(import.meta.url, async () => {
  const dir = makeTempDir('tt-bench-python-send-')
  const collector = await startCollector(join(dir, 'data'))
  try {
    const r = await runPythonBench<SendResult>('send.py', collector, dir)
    const metrics: Metric[] = [
      { name: 'send(), median per call', value: round(r.median.send!), unit: 'ns' },
      { name: 'send(), p99 of blocks', value: round(r.p99.send!), unit: 'ns' },
      { name: 'logging.info to a file, median per call', value: round(r.median.logging!), unit: 'ns' },
      { name: 'ratio send / logging (medians)', value: round(r.median.send! / r.median.logging!, 3), unit: '', target: { op: '<=', value: 0.5 } },
      { name: 'send(), seed 002 kwargs, median', value: round(r.median['send, kwargs']!), unit: 'ns' },
      { name: 'send() without data, median', value: round(r.median['send, no data']!), unit: 'ns' },
      { name: 'CPU per event, send + delivery (all threads)', value: round(r.cpuUsPerEvent.send, 1), unit: 'µs' },
      { name: 'CPU per event, logging.info', value: round(r.cpuUsPerEvent.logging, 1), unit: 'µs' },
    ]
    const complete = r.sent === r.expected && r.stored === r.expected && r.dropped === 0 && r.undelivered === 0
    return {
      metrics,
      details: r as unknown as Record<string, unknown>,
      ...(complete ? {} : { failure: `not every event was delivered (sent ${r.expected}, acknowledged ${r.sent}, stored ${r.stored}, dropped ${r.dropped}, undelivered ${r.undelivered})` }),
    }
  } finally {
    collector.child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
