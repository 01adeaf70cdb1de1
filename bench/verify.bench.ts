/**
 * verifyTrail over the shared 1M-event trail (what `tradetrail verify` runs), against
 * the floor any verifier pays: a plain loop chaining SHA-256 over the same canonical texts
 * (prev ‖ text), already in memory as UTF-8 (off the JS heap, so that 1M strings do not
 * slow every other pass's GC), on one core. Two such loops are measured, one-shot
 * `crypto.hash` over a scratch buffer and `createHash().update(prev).update(text)`; the
 * faster is the reference. Verify's figure is a ratio of that per-core rate times the
 * cores verify used: the `workers` its report gives (0, the calling thread, counts as 1),
 * else BENCH_VERIFY_WORKERS, else 1; at most the machine's CPUs. BENCH_VERIFY_WORKERS is
 * also handed to verifyTrail as its `workers` option. Two more passes split verify's time:
 * scanChain alone (SQLite reads of the stored canonical texts).
 * Passes alternate, ROUNDS times each.
 *
 *   npm run bench -- verify        BENCH_ROUNDS=5  BENCH_PASSES=verify   (e.g. to profile verify alone)
 *                                  BENCH_VERIFY_WORKERS=2
 */
import { createHash, hash } from 'node:crypto'
import { availableParallelism, cpus } from 'node:os'
import { GENESIS_HASH } from '@tradetrail/core'
import { type VerifyOptions, loadConfig, openTrail, verifyTrail } from '@tradetrail/server'
import { type Metric, cpuNow, log, median, now, round, runBench } from './bench-harness.ts'
import { openBenchTrail } from './bench-trail.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
/** Worker threads to ask verify for; also the cores it used when its report does not say. */
// As `tradetrail verify` does: one worker per core, unless BENCH_VERIFY_WORKERS says otherwise.
const WORKERS_GIVEN = process.env.BENCH_VERIFY_WORKERS === undefined ? availableParallelism() : Number(process.env.BENCH_VERIFY_WORKERS)

type Pass = 'verify' | 'reference' | 'reference-createHash' | 'scan'
const ALL_PASSES: readonly Pass[] = ['verify', 'reference', 'reference-createHash', 'scan']
const PASSES = (process.env.BENCH_PASSES?.split(',') ?? ALL_PASSES) as Pass[]
for (const p of PASSES) if (!ALL_PASSES.includes(p)) throw new Error(`BENCH_PASSES: unknown pass ${p} (known: ${ALL_PASSES.join(', ')})`)

await runBench(import.meta.url, async () => {
  const trail = await openBenchTrail()
  const local = await openTrail(loadConfig({ env: {}, flags: { dataDir: trail.dataDir } }), { role: 'reader' })
  try {
    const head = await local.store.head()
    // The reference's input: per scan chunk, the UTF-8 of its canonical texts and where each ends.
    const texts: Array<{ utf8: Buffer; ends: Uint32Array }> = []
    let textCount = 0, textBytes = 0
    if (PASSES.includes('reference') || PASSES.includes('reference-createHash')) {
      log('reading the canonical texts for the reference (untimed)')
      for await (const chunk of local.store.scanChain(0)) {
        const ends = new Uint32Array(chunk.length)
        let end = 0
        for (let i = 0; i < chunk.length; i++) ends[i] = end += Buffer.byteLength(chunk[i]!.canonical)
        texts.push({ utf8: Buffer.from(chunk.map((r) => r.canonical).join('')), ends })
        textCount += chunk.length
        textBytes += end
      }
      if (textCount !== trail.events) throw new Error(`trail holds ${textCount} events, expected ${trail.events}`)
    }

    // Workers the last verify run reports using (parallel verify); undefined from a single-threaded one.
    let workersReported: number | undefined
    const passes: Record<Pass, () => Promise<void>> = {
      verify: async () => {
        const options: VerifyOptions & { workers?: number } = WORKERS_GIVEN === undefined ? {} : { workers: WORKERS_GIVEN }
        const report: { ok: boolean; checked: number; problem: unknown; workers?: number } = await verifyTrail(local.store, local.signer.publicKey, options)
        if (!report.ok || report.checked !== trail.events) throw new Error(`verify failed: ${JSON.stringify(report.problem)}`)
        workersReported = report.workers
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
      'reference-createHash': async () => {
        // A hash object per event, fed prev and the text without copying either.
        let prev: Buffer = GENESIS_HASH
        for (const { utf8, ends } of texts) {
          let start = 0
          for (let i = 0; i < ends.length; i++) {
            const end = ends[i]!
            prev = createHash('sha256').update(prev).update(utf8.subarray(start, end)).digest()
            start = end
          }
        }
        if (!prev.equals(head.hash)) throw new Error('reference (createHash) chain does not end at the head hash')
      },
      scan: async () => {
        let n = 0
        for await (const chunk of local.store.scanChain(0)) n += chunk.length
        if (n !== trail.events) throw new Error(`scan read ${n} events`)
      },
    }
    const order = PASSES
    const seconds: Record<Pass, number[]> = { verify: [], reference: [], 'reference-createHash': [], scan: [] }
    const cpuSeconds: Record<Pass, number[]> = { verify: [], reference: [], 'reference-createHash': [], scan: [] }
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
    if (has('reference')) metrics.push({ name: 'reference: SHA-256 chain, crypto.hash, 1 core', value: rate('reference'), unit: 'events/s' })
    if (has('reference-createHash')) metrics.push({ name: 'reference: SHA-256 chain, createHash, 1 core', value: rate('reference-createHash'), unit: 'events/s' })
    const references = (['reference', 'reference-createHash'] as const).filter(has)
    const fastest = references.length > 0 ? references.reduce((a, b) => (rate(b) > rate(a) ? b : a)) : undefined
    // More workers than CPUs cannot hash faster than the CPUs: the reference scales to the cores verify can have.
    const cores = Math.min(Math.max(1, workersReported ?? WORKERS_GIVEN ?? 1), cpus().length)
    if (fastest !== undefined) {
      metrics.push(
        { name: 'cores verify used', value: cores, unit: '', note: workersReported !== undefined ? `its report: workers ${workersReported}` : WORKERS_GIVEN !== undefined ? 'BENCH_VERIFY_WORKERS' : 'single-threaded' },
        { name: 'reference × cores used', value: rate(fastest) * cores, unit: 'events/s', note: `${fastest} per core × ${cores}` },
      )
    }
    if (has('verify') && fastest !== undefined) {
      // Per round, the two passes ran back to back: their ratio is steadier than the ratio of medians on a shared machine.
      const perRound = seconds.verify.map((s, r) => seconds[fastest][r]! / s / cores)
      metrics.push(
        { name: 'ratio verify / (reference × cores used)', value: median(perRound), unit: '', target: { op: '>=', value: 0.5 }, note: 'median of the rounds\' ratios' },
        { name: 'ratio by CPU time, verify / reference', value: median(cpuSeconds[fastest]) / median(cpuSeconds.verify), unit: '', note: 'events per CPU-second; blind to cores and I/O waits' },
      )
    }
    if (has('scan')) metrics.push({ name: 'scanChain alone (SQLite read + records)', value: rate('scan'), unit: 'events/s' })
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
        reference: fastest ?? null,
        cores: { used: cores, workersReported: workersReported ?? null, workersFromEnv: WORKERS_GIVEN ?? null, machineCpus: cpus().length },
        averageCanonicalBytes: textCount > 0 ? round(textBytes / textCount, 1) : null,
      },
    }
  } finally {
    await local.close()
    trail.cleanup()
  }
})
