/**
 * Durable append: 1M events in batches of 1000 through SqliteEventStore.append (chain,
 * FTS, indexes, synchronous=FULL) as the collector runs it (writer thread), against plain
 * better-sqlite3 inserts of the same rows in the same run. The writer thread keeps the
 * full-text index up between commits; one search at the end catches it up completely, inside
 * the timed span, so "store" is appended *and* searchable; that last catch-up ("maintain") is
 * reported apart. Also: validateBatch (the collector pays it before append), the chain's CPU cost
 * alone, and a "store-minimal" variant (appends only, no secondary index but the unique
 * id) that splits the rest. Variants run alternately, BENCH_ROUNDS (default 3) times
 * each, each on a fresh file; figures are medians. CPU time per event is reported beside
 * wall time: on a shared machine it is the steadier figure, though blind to fsync waits.
 *
 * Each batch is generated and validated just before its append, and only the append
 * call is timed: holding 1M prepared events in the heap would charge every variant
 * with major GCs over ~1 GB that no collector pays.
 *
 *   npm run bench -- store-append      BENCH_ROUNDS=5  BENCH_VARIANTS=store,reference  (default: all three)
 *                                      BENCH_MAINTAIN_MS=1000  BENCH_MAINTAIN_SLICE=100000
 */
import { readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  GENESIS_HASH, type PreparedEvent, SEVERITIES, canonicalEventText, chainHash, formatMicros, systemClock, validateBatch,
} from '@tradetrail/core'
import { SqliteEventStore } from '../packages/server/src/stores/sqlite/sqlite-event-store.ts'
import {
  type Metric, QUICK, bytesWritten, cpuNow, log, makeTempDir, median, now, percentile, removeTempDir, round, runBench, scaled,
} from './bench-harness.ts'
import { tradingEventBatches } from './trading-events.ts'

const EVENTS = scaled(1_000_000)
const BATCH = 1000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

type Variant = 'store' | 'reference' | 'store-minimal'
const ALL_VARIANTS: readonly Variant[] = ['store', 'reference', 'store-minimal']
const VARIANTS = (process.env.BENCH_VARIANTS?.split(',') ?? ALL_VARIANTS) as Variant[]
for (const v of VARIANTS) if (!ALL_VARIANTS.includes(v)) throw new Error(`BENCH_VARIANTS: unknown variant ${v} (known: ${ALL_VARIANTS.join(', ')})`)


/** Appends one prepared batch durably; returns the events stored. */
type Sink = (batch: readonly PreparedEvent[]) => Promise<number>

interface Target {
  sink: Sink
  /** Catches the full-text index up completely (the writer thread keeps it close meanwhile). */
  maintain?: () => Promise<void>
  close: () => Promise<void>
}

interface RunResult {
  variant: Variant
  round: number
  /** Wall time inside the append and maintain calls (and close). */
  seconds: number
  /** CPU time of the process over the same calls (fsync waits are not CPU). */
  cpuSec: number
  /** The part of `seconds` and `cpuSec` spent in maintain (full-text indexing). */
  maintainSec: number
  maintainCpuSec: number
  maintainCalls: number
  eventsPerSec: number
  /** Per append (one batch, one commit). */
  batchP50Ms: number
  batchP99Ms: number
  batchMaxMs: number
  /** Database + WAL after close, MiB. */
  fileMiB: number
  /** Handed to write(2) during the run (WAL frames, then checkpoints into the database), MiB. */
  writtenMiB: number
  /** validateBatch over the same events, outside the timed calls. */
  validateSec: number
  validateCpuSec: number
}

const SEVERITY_RANK: Record<string, number> = Object.fromEntries(SEVERITIES.map((s, i) => [s, i]))
/** The reference stores the same bytes in `hash` without computing a chain. */
const PLACEHOLDER_HASH = Buffer.alloc(32, 0xab)

await runBench(import.meta.url, async () => {
  log(`fixing the ${EVENTS.toLocaleString('en-US')} ids, so that every variant stores the same rows`)
  const ids: string[] = []
  for (const raw of tradingEventBatches(EVENTS, BATCH)) for (const e of raw) ids.push(e.id as string)

  const chain = timeChainOnly(ids)
  log(`chain only (canonical text + SHA-256, no I/O): ${round(chain.ms)} ms, CPU/wall ${chain.cpuShare.toFixed(2)}`)

  const runs: RunResult[] = []
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate the order so that neither variant always runs on a warmer (or busier) machine.
    const order = r % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()
    for (const variant of order) {
      const dir = makeTempDir(`tt-bench-${variant}-`)
      try {
        const result = await run(variant, r, dir, ids)
        runs.push(result)
        log(`round ${r + 1} ${variant}: ${result.seconds.toFixed(2)} s (CPU ${result.cpuSec.toFixed(2)} s${result.maintainCalls > 0 ? `, maintain ${result.maintainSec.toFixed(2)} s in ${result.maintainCalls} calls` : ''}), ${result.eventsPerSec.toLocaleString('en-US')} events/s, batch p50 ${result.batchP50Ms.toFixed(2)} ms p99 ${result.batchP99Ms.toFixed(2)} ms, file ${result.fileMiB} MiB, written ${result.writtenMiB} MiB`)
      } finally {
        removeTempDir(dir)
      }
    }
  }

  const of = (variant: Variant): RunResult[] => runs.filter((x) => x.variant === variant)
  const rate = (variant: Variant): number => median(of(variant).map((x) => x.eventsPerSec))
  /** Median CPU µs per event: steadier than wall time on a shared machine, blind to fsync waits. */
  const cpuMicros = (variant: Variant): number => 1e6 * median(of(variant).map((x) => x.cpuSec)) / EVENTS
  const has = (variant: Variant): boolean => VARIANTS.includes(variant)
  const appendOnly = (x: RunResult): number => x.seconds - x.maintainSec
  const validateRate = EVENTS / median(runs.map((x) => x.validateSec))
  const metrics: Metric[] = []
  if (has('store')) {
    metrics.push(
      { name: 'store append (chain + FTS, durable)', value: rate('store'), unit: 'events/s', target: { op: '>=', value: 150_000 } },
      { name: 'store append alone, FTS maintain excluded', value: EVENTS / median(of('store').map(appendOnly)), unit: 'events/s' },
      { name: 'FTS maintain share of store time', value: 100 * median(of('store').map((x) => x.maintainSec / x.seconds)), unit: '%' },
      { name: 'store append latency per 1000-event batch p50', value: median(of('store').map((x) => x.batchP50Ms)), unit: 'ms' },
      { name: 'store append latency per 1000-event batch p99', value: median(of('store').map((x) => x.batchP99Ms)), unit: 'ms' },
    )
  }
  if (has('reference')) metrics.push({ name: 'reference: plain inserts, same rows', value: rate('reference'), unit: 'rows/s' })
  if (has('store') && has('reference')) {
    metrics.push({ name: 'ratio store / reference', value: rate('store') / rate('reference'), unit: '', target: { op: '>=', value: 0.6 } })
  }
  if (has('store-minimal')) metrics.push({ name: 'store-minimal: appends, unique id index only', value: rate('store-minimal'), unit: 'events/s' })
  for (const v of VARIANTS) {
    metrics.push({ name: `CPU per event: ${v}`, value: cpuMicros(v), unit: 'µs' })
    if (v === 'store') metrics.push({ name: 'CPU per event: store, of which FTS maintain', value: 1e6 * median(of('store').map((x) => x.maintainCpuSec)) / EVENTS, unit: 'µs' })
  }
  if (has('store') && has('reference')) {
    metrics.push({ name: 'ratio store / reference by CPU time', value: cpuMicros('reference') / cpuMicros('store'), unit: '' })
  }
  for (const v of VARIANTS) metrics.push({ name: `written per event: ${v}`, value: 2 ** 20 * median(of(v).map((x) => x.writtenMiB)) / EVENTS, unit: 'bytes' })
  metrics.push(
    { name: 'validateBatch (before append)', value: validateRate, unit: 'events/s' },
    { name: 'CPU per event: validateBatch', value: 1e6 * median(runs.map((x) => x.validateCpuSec)) / EVENTS, unit: 'µs' },
    { name: 'chain only: canonical text + SHA-256', value: EVENTS / (chain.ms / 1000), unit: 'events/s' },
    { name: 'CPU/wall in the chain-only pass (1 = a whole core)', value: chain.cpuShare, unit: '', note: 'well below 1: other work competed for the CPU' },
  )
  if (has('store')) {
    metrics.push({ name: 'validateBatch + store append, one core', value: 1 / (1 / validateRate + 1 / rate('store')), unit: 'events/s', note: 'harmonic combination of the two medians' })
  }
  return {
    metrics,
    details: {
      events: EVENTS, batch: BATCH, rounds: ROUNDS, variants: VARIANTS, quick: QUICK,
      chainOnlyMs: round(chain.ms), chainCpuShare: round(chain.cpuShare, 2), runs,
      reference: 'same columns and values (canonical text in body), hash = fixed 32 bytes; STRICT table with INTEGER PRIMARY KEY only; WAL, synchronous=FULL, cache_size=-65536; one IMMEDIATE transaction per batch',
      store: 'append per batch through the writer thread (which indexes between commits); one search at the end catches the index up, timed',
      storeMinimal: 'append per batch, never maintain (the FTS index stays empty), every index on events but the unique events_id dropped',
    },
  }
})

/** One variant over all events: generate and validate each batch (untimed), then time its append. */
async function run(variant: Variant, r: number, dir: string, ids: readonly string[]): Promise<RunResult> {
  const { sink, maintain, close } = variant === 'reference' ? openReference(dir) : await openStore(dir, variant)
  const latencies: number[] = []
  let seconds = 0, cpuSec = 0, validateSec = 0, validateCpuSec = 0, stored = 0
  let maintainSec = 0, maintainCpuSec = 0, maintainCalls = 0
  const written0 = bytesWritten()
  const timedMaintain = async (): Promise<void> => {
    const t = now(), c = cpuNow()
    await maintain!()
    const s = (now() - t) / 1000, cpu = (cpuNow() - c) / 1000
    seconds += s
    cpuSec += cpu
    maintainSec += s
    maintainCpuSec += cpu
    maintainCalls++
  }
  try {
    for (const raw of tradingEventBatches(EVENTS, BATCH, { ids })) {
      let t = now(), c = cpuNow()
      const batch = validateBatch(raw, { nowMicros: systemClock.nowMicros(), maxEvents: BATCH })
      validateSec += (now() - t) / 1000
      validateCpuSec += (cpuNow() - c) / 1000
      t = now()
      c = cpuNow()
      stored += await sink(batch)
      const ms = now() - t
      cpuSec += (cpuNow() - c) / 1000
      seconds += ms / 1000
      latencies.push(ms)
    }
    if (maintain !== undefined) await timedMaintain()
  } finally {
    // Closing checkpoints the WAL into the database: durable work, so it is timed too.
    const t = now(), c = cpuNow()
    await close()
    seconds += (now() - t) / 1000
    cpuSec += (cpuNow() - c) / 1000
  }
  if (stored !== EVENTS) throw new Error(`${variant} stored ${stored} of ${EVENTS} events`)
  const writtenMiB = round((bytesWritten() - written0) / 2 ** 20, 1)
  let bytes = 0
  for (const name of readdirSync(dir)) bytes += statSync(join(dir, name)).size
  return {
    variant, round: r + 1, seconds: round(seconds, 3), cpuSec: round(cpuSec, 3), eventsPerSec: Math.round(EVENTS / seconds),
    maintainSec: round(maintainSec, 3), maintainCpuSec: round(maintainCpuSec, 3), maintainCalls,
    batchP50Ms: round(percentile(latencies, 50), 3), batchP99Ms: round(percentile(latencies, 99), 3),
    batchMaxMs: round(Math.max(...latencies), 3), fileMiB: round(bytes / 2 ** 20, 1), writtenMiB,
    validateSec: round(validateSec, 3), validateCpuSec: round(validateCpuSec, 3),
  }
}

/**
 * `store` is the collector's configuration: commits in the writer thread, which also builds the
 * full-text index between commits; at the end one search catches the index up (timed), so the
 * trail is appended *and* searchable. `store-minimal` commits inline and never indexes.
 */
async function openStore(dir: string, variant: Variant): Promise<Target> {
  const path = join(dir, 'trail.db')
  if (variant === 'store-minimal') await dropSecondaryIndexes(path)
  const store = variant === 'store' ? await SqliteEventStore.openThreaded({ path }) : new SqliteEventStore({ path })
  return {
    sink: async (batch) => (await store.append(batch)).accepted,
    maintain: variant === 'store' ? async () => { await store.query({ q: 'EURUSD', limit: 1 }) } : undefined,
    close: () => store.close(),
  }
}

/** Creates the store's schema, then drops every index on events but the unique one on id (duplicates need it). */
async function dropSecondaryIndexes(path: string): Promise<void> {
  await new SqliteEventStore({ path }).close()
  const db = new Database(path)
  const names = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL AND name <> 'events_id'").pluck().all() as string[]
  for (const name of names) db.exec(`DROP INDEX "${name}"`)
  db.close()
}

function openReference(dir: string): Target {
  const db = new Database(join(dir, 'reference.db'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('cache_size = -65536')
  // The same columns as the store's events table (sqlite-schema.ts), the same canonical text in body.
  db.exec(`CREATE TABLE events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, ts_key TEXT NOT NULL, project TEXT NOT NULL,
    type TEXT NOT NULL, severity INTEGER NOT NULL, source TEXT, body TEXT NOT NULL, hash BLOB NOT NULL) STRICT`)
  const insert = db.prepare('INSERT INTO events (seq, id, ts_key, project, type, severity, source, body, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
  let seq = 0
  const tx = db.transaction((batch: readonly PreparedEvent[], receivedAt: string) => {
    for (const e of batch) {
      const body = canonicalEventText({ ...e, seq: ++seq, received_at: receivedAt })
      insert.run(seq, e.id, e.tsKey, e.project, e.type, SEVERITY_RANK[e.severity], e.source ?? null, body, PLACEHOLDER_HASH)
    }
  })
  return {
    sink: async (batch) => {
      tx.immediate(batch, formatMicros(systemClock.nowMicros()))
      return batch.length
    },
    close: async () => { db.close() },
  }
}

/** The chain's own CPU cost, what append computes per event before SQLite sees it (events validated untimed, batch by batch). */
function timeChainOnly(ids: readonly string[]): { ms: number; cpuShare: number } {
  const receivedAt = formatMicros(systemClock.nowMicros())
  let prev: Buffer = GENESIS_HASH
  let seq = 0, ms = 0, cpu = 0
  for (const raw of tradingEventBatches(EVENTS, BATCH, { ids })) {
    const batch = validateBatch(raw, { nowMicros: systemClock.nowMicros() })
    const t = now(), c = cpuNow()
    for (const e of batch) {
      prev = chainHash(prev, canonicalEventText({
        seq: ++seq, id: e.id, ts: e.ts, project: e.project, type: e.type, severity: e.severity, message: e.message,
        source: e.source, actor: e.actor, dataJson: e.dataJson, metadataJson: e.metadataJson, received_at: receivedAt,
      }))
    }
    ms += now() - t
    cpu += cpuNow() - c
  }
  return { ms, cpuShare: cpu / ms }
}
