/**
 * verifyTrail over the shared 1M-event trail (what `tradetrail verify` runs), against
 * the floor any verifier pays: raw SHA-256 chaining over the same canonical texts,
 * already in memory as UTF-8 (off the JS heap, so that 1M strings do not slow every
 * other pass's GC). Two more passes split verify's time: scanChain alone (SQLite reads
 * and row → record), and scanChain + canonicalEventText. Passes alternate, ROUNDS times each.
 *
 *   npm run bench -- verify        BENCH_ROUNDS=5  BENCH_PASSES=verify   (e.g. to profile verify alone)
 */
import { hash } from 'node:crypto'
import { GENESIS_HASH, canonicalEventText } from '@tradetrail/core'
import { LocalTrail, verifyTrail } from '@tradetrail/server'
import { type Metric, cpuNow, log, median, now, round, runBench } from './bench-harness.ts'
import { openBenchTrail } from './bench-trail.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

type Pass = 'verify' | 'reference' | 'scan' | 'scan+canonical'
const ALL_PASSES: readonly Pass[] = ['verify', 'reference', 'scan', 'scan+canonical']
const PASSES = (process.env.BENCH_PASSES?.split(',') ?? ALL_PASSES) as Pass[]
for (const p of PASSES) if (!ALL_PASSES.includes(p)) throw new Error(`BENCH_PASSES: unknown pass ${p} (known: ${ALL_PASSES.join(', ')})`)

await runBench(import.meta.url, async () => {
  const trail = await openBenchTrail()
  const local = new LocalTrail({ dataDir: trail.dataDir, onWarning: () => {} })
  try {
    const head = await local.store.head()
    // The reference's input: per scan chunk, the UTF-8 of its canonical texts and where each ends.
    const texts: Array<{ utf8: Buffer; ends: Uint32Array }> = []
    let textCount = 0, textBytes = 0
    if (PASSES.includes('reference')) {
      log('reading the canonical texts for the reference (untimed)')
      for await (const chunk of local.store.scanChain(0)) {
        const strings = chunk.map(canonicalEventText)
        const ends = new Uint32Array(strings.length)
        let end = 0
        for (let i = 0; i < strings.length; i++) ends[i] = end += Buffer.byteLength(strings[i]!)
        texts.push({ utf8: Buffer.from(strings.join('')), ends })
        textCount += strings.length
        textBytes += end
      }
      if (textCount !== trail.events) throw new Error(`trail holds ${textCount} events, expected ${trail.events}`)
    }

    const passes: Record<Pass, () => Promise<void>> = {
      verify: async () => {
        const report = await verifyTrail(local.store, local.signer.publicKey)
        if (!report.ok || report.checked !== trail.events) throw new Error(`verify failed: ${JSON.stringify(report.problem)}`)
      },
      reference: async () => {
        // One-shot SHA-256 over prev ‖ text in a scratch buffer: the cheapest way Node offers.
        const scratch = Buffer.allocUnsafe(1 << 20)
        let prev: Buffer = GENESIS_HASH
        for (const { utf8, ends } of texts) {
          let start = 0
          for (let i = 0; i < ends.length; i++) {
            const end = ends[i]!
            prev.copy(scratch, 0)
            utf8.copy(scratch, 32, start, end)
            prev = hash('sha256', scratch.subarray(0, 32 + end - start), 'buffer') as unknown as Buffer
            start = end
          }
        }
        if (!prev.equals(head.hash)) throw new Error('reference chain does not end at the head hash')
      },
      scan: async () => {
        let n = 0
        for await (const chunk of local.store.scanChain(0)) n += chunk.length
        if (n !== trail.events) throw new Error(`scan read ${n} events`)
      },
      'scan+canonical': async () => {
        let chars = 0
        for await (const chunk of local.store.scanChain(0)) for (const record of chunk) chars += canonicalEventText(record).length
        if (chars === 0) throw new Error('no text')
      },
    }
    const order = PASSES
    const seconds: Record<Pass, number[]> = { verify: [], reference: [], scan: [], 'scan+canonical': [] }
    const cpuSeconds: Record<Pass, number[]> = { verify: [], reference: [], scan: [], 'scan+canonical': [] }
    for (let r = 0; r < ROUNDS; r++) {
      for (const pass of r % 2 === 0 ? order : [...order].reverse()) {
        const t0 = now(), c0 = cpuNow()
        await passes[pass]()
        const s = (now() - t0) / 1000, cpu = (cpuNow() - c0) / 1000
        seconds[pass].push(round(s, 3))
        cpuSeconds[pass].push(round(cpu, 3))
        log(`round ${r + 1} ${pass}: ${s.toFixed(2)} s (CPU ${cpu.toFixed(2)} s), ${Math.round(trail.events / s).toLocaleString('en-US')} events/s`)
      }
    }
    const rate = (pass: Pass): number => trail.events / median(seconds[pass])
    const has = (pass: Pass): boolean => PASSES.includes(pass)
    const metrics: Metric[] = []
    if (has('verify')) metrics.push({ name: 'verifyTrail', value: rate('verify'), unit: 'events/s', target: { op: '>=', value: 500_000 } })
    if (has('reference')) metrics.push({ name: 'reference: raw SHA-256 chain over in-memory texts', value: rate('reference'), unit: 'events/s' })
    if (has('verify') && has('reference')) metrics.push({ name: 'ratio verify / reference', value: rate('verify') / rate('reference'), unit: '' })
    if (has('scan')) metrics.push({ name: 'scanChain alone (SQLite read + records)', value: rate('scan'), unit: 'events/s' })
    if (has('scan+canonical')) metrics.push({ name: 'scanChain + canonicalEventText', value: rate('scan+canonical'), unit: 'events/s' })
    if (has('verify')) {
      metrics.push(
        { name: 'verifyTrail per CPU-second', value: trail.events / median(cpuSeconds.verify), unit: 'events/s', note: 'what an uncontended core would approach' },
        { name: 'CPU/wall in verifyTrail (1 = a whole core)', value: median(cpuSeconds.verify) / median(seconds.verify), unit: '', note: 'well below 1: other work competed for the CPU' },
      )
    }
    const checkpoints = (await local.store.checkpoints()).length
    return {
      metrics,
      details: {
        events: trail.events, rounds: ROUNDS, seconds, cpuSeconds, checkpoints, trailReused: trail.reused, trailBuildSec: trail.buildSec,
        averageCanonicalBytes: textCount > 0 ? round(textBytes / textCount, 1) : null,
      },
    }
  } finally {
    await local.close()
    trail.cleanup()
  }
})
