/**
 * What `AuditClient.send()` costs its caller, against pino's `logger.info(obj, msg)` to a file
 * (`pino.destination({ sync: false })`) in the same run: blocks of 1,000 calls with the same
 * payload, `await setImmediate()` between blocks so that the client's batching, HTTP and
 * acknowledgements (to a real collector started here, spool in the temp directory) and pino's
 * writes run between them as they would in a bot. Variants take turns within each round, and
 * each is flushed (untimed) before the next starts: a burst of 50,000 events is what the client
 * holds without dropping any. Every event sent must be stored by the end.
 *
 *   npm run bench -- client-send        BENCH_ROUNDS=5, BENCH_BLOCKS=50 (blocks per variant and round)
 */
import { join } from 'node:path'
import { setImmediate } from 'node:timers/promises'
import pino from 'pino'
import { deliveryFailure, deliveryOf, startClient } from './bench-client.ts'
import { type Metric, log, makeTempDir, median, now, percentile, removeTempDir, round, runBench, scaled } from './bench-harness.ts'
import { startCollector } from './collector-child.ts'
import { ORDER_MESSAGE, ORDER_TYPE, type OrderData, largeOrderData, orderData } from './order-payload.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const BLOCKS = Number(process.env.BENCH_BLOCKS ?? scaled(50, 10))
const BLOCK = 1000
const PROJECT = 'BenchClientSend'
const NO_PAYLOADS: unknown[] = new Array(BLOCK).fill(undefined)

interface Variant {
  name: string
  /** The block's arguments, made before the block is timed. */
  make: (first: number) => unknown[]
  /** The 1,000 timed calls. */
  call: (payloads: unknown[]) => void
  /** Events it sends to the collector per call. */
  events: number
}

await runBench(import.meta.url, async () => {
  const dir = makeTempDir('tt-bench-client-send-')
  const collector = await startCollector(join(dir, 'data'))
  const { client, errors } = startClient(collector, PROJECT, join(dir, 'spool'))
  const destination = pino.destination({ dest: join(dir, 'pino.log'), sync: false })
  const logger = pino({}, destination)
  try {
    let n = 0
    const orders = (first: number): OrderData[] => Array.from({ length: BLOCK }, (_, i) => orderData(first + i))
    const variants: Variant[] = [
      {
        name: 'send', make: orders, events: 1,
        call: (p) => { for (let i = 0; i < p.length; i++) client.send(ORDER_TYPE, ORDER_MESSAGE, p[i] as OrderData) },
      },
      {
        name: 'pino', events: 0,
        make: (first) => Array.from({ length: BLOCK }, (_, i) => ({ type: ORDER_TYPE, ...orderData(first + i) })),
        call: (p) => { for (let i = 0; i < p.length; i++) logger.info(p[i] as object, ORDER_MESSAGE) },
      },
      {
        name: 'send, no data', make: () => NO_PAYLOADS, events: 1,
        call: (p) => { for (let i = 0; i < p.length; i++) client.send(ORDER_TYPE, ORDER_MESSAGE) },
      },
      {
        name: 'send, 1 KiB data', events: 1,
        make: (first) => Array.from({ length: BLOCK }, (_, i) => largeOrderData(first + i, 1024)),
        call: (p) => { for (let i = 0; i < p.length; i++) client.send(ORDER_TYPE, ORDER_MESSAGE, p[i] as OrderData) },
      },
    ]
    let expected = 0
    const run = async (variant: Variant, blocks: number): Promise<number[]> => {
      const nsPerCall: number[] = []
      for (let b = 0; b < blocks; b++) {
        const payloads = variant.make(n)
        n += BLOCK
        const t0 = now()
        variant.call(payloads)
        nsPerCall.push(((now() - t0) * 1e6) / BLOCK)
        expected += variant.events * BLOCK
        await setImmediate()
      }
      return nsPerCall
    }
    const settle = async (): Promise<number> => {
      const t0 = now()
      await client.flush(120_000)
      await new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())))
      return now() - t0
    }

    log(`warm-up, then ${ROUNDS} rounds × ${variants.length} variants × ${BLOCKS} blocks of ${BLOCK} calls`)
    for (const variant of variants) await run(variant, Math.max(5, Math.round(BLOCKS / 5)))
    await settle()
    const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]))
    const rounds: Array<Record<string, unknown>> = []
    for (let r = 0; r < ROUNDS; r++) {
      // Rotate the order, so that no variant always follows the same one.
      const order = variants.map((_, i) => variants[(i + r) % variants.length]!)
      const medians: Record<string, number> = {}
      const spooledAfter: Record<string, number> = {}
      const flushMs: Record<string, number> = {}
      for (const variant of order) {
        const ns = await run(variant, BLOCKS)
        samples.get(variant.name)!.push(...ns)
        medians[variant.name] = round(median(ns), 1)
        spooledAfter[variant.name] = client.stats().spooled
        flushMs[variant.name] = round(await settle())
      }
      log(`round ${r + 1}: ${Object.entries(medians).map(([k, v]) => `${k} ${v} ns`).join(', ')}`)
      rounds.push({ order: order.map((v) => v.name), medianNsPerCall: medians, spooledAfterBlocks: spooledAfter, flushMs })
    }

    await client.flush(300_000)
    const delivered = await deliveryOf(client, collector, PROJECT, expected, errors)
    log(`sent ${expected}, stored ${delivered.stored}, dropped ${delivered.dropped}`)

    const ns = (name: string, p?: number): number => {
      const s = samples.get(name)!
      return round(p === undefined ? median(s) : percentile(s, p), 1)
    }
    const metrics: Metric[] = [
      { name: 'send(), median per call', value: ns('send'), unit: 'ns', target: { op: '<', value: 1000 } },
      { name: 'send(), p99 of blocks', value: ns('send', 99), unit: 'ns' },
      { name: 'pino logger.info, median per call', value: ns('pino'), unit: 'ns' },
      { name: 'pino logger.info, p99 of blocks', value: ns('pino', 99), unit: 'ns' },
      { name: 'ratio send / pino (medians)', value: round(ns('send') / ns('pino'), 3), unit: '', target: { op: '<', value: 0.5 } },
      { name: 'send() without data, median', value: ns('send, no data'), unit: 'ns' },
      { name: 'send() with 1 KiB data, median', value: ns('send, 1 KiB data'), unit: 'ns' },
    ]
    return {
      metrics,
      details: {
        blocksPerRound: BLOCKS, callsPerBlock: BLOCK, rounds,
        p99: Object.fromEntries(variants.map((v) => [v.name, ns(v.name, 99)])),
        largeDataBytes: JSON.stringify(largeOrderData(0, 1024)).length,
        delivered,
      },
      failure: deliveryFailure('client-send', delivered),
    }
  } finally {
    await client.close(1000)
    destination.end()
    collector.child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
