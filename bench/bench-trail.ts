/**
 * The 1M-event trail that verify and query measure, built once per `npm run bench`:
 * run.ts creates a temporary directory and hands it to every bench as BENCH_TRAIL_DIR;
 * the first bench that needs the trail builds it there, the next ones reuse it. Run
 * alone, a bench builds its own trail and removes it afterwards. Pointing
 * BENCH_TRAIL_DIR at a directory of your own keeps the trail between runs.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateBatch } from '@tradetrail/core'
import { DATABASE_FILE, loadConfig, openTrail } from '@tradetrail/server'
import { log, makeTempDir, now, removeTempDir, round, scaled } from './bench-harness.ts'
import { TRAIL_SPAN_MS, TRAIL_START_MS, tradingEventBatches } from './trading-events.ts'

/** Bump when trading-events.ts or the build below change what a trail holds, so that old trails are rebuilt. */
const GENERATOR_VERSION = 2
const MARKER_FILE = 'bench-trail.json'

export interface BenchTrail {
  /** The data directory (openTrail's layout: trail.db and keys/). */
  dataDir: string
  dbPath: string
  events: number
  /** ts of the trail spans [startMs, endMs). */
  startMs: number
  endMs: number
  /** Whether an earlier bench of this run (or an earlier run) had built it. */
  reused: boolean
  /** Seconds the build took (validation, durable appends, checkpoints, full-text index), when this bench built it. */
  buildSec: number | null
  /** Removes the trail when this process created its directory. */
  cleanup(): void
}

interface Marker {
  version: number
  events: number
  builtAt: string
  buildSec: number
}

/**
 * The shared trail of `scaled(1M)` events, built in batches of 1000 through openTrail,
 * with the full-text index kept up as the collector keeps it (the writer thread, between commits) and
 * complete at the end.
 */
export async function openBenchTrail(): Promise<BenchTrail> {
  const events = scaled(1_000_000)
  const given = process.env.BENCH_TRAIL_DIR
  const root = given ?? makeTempDir('tt-bench-trail-')
  // A quick and a full trail can live side by side in one BENCH_TRAIL_DIR.
  const dataDir = join(root, `trail-${events}`)
  const markerPath = join(dataDir, MARKER_FILE)
  const base = {
    dataDir, dbPath: join(dataDir, DATABASE_FILE), events, startMs: TRAIL_START_MS, endMs: TRAIL_START_MS + TRAIL_SPAN_MS,
    cleanup: () => { if (given === undefined) removeTempDir(root) },
  }
  const marker = readMarker(markerPath)
  if (marker !== undefined && marker.version === GENERATOR_VERSION && marker.events === events) {
    log(`trail: reusing ${events.toLocaleString('en-US')} events in ${dataDir} (built ${marker.builtAt})`)
    return { ...base, reused: true, buildSec: null }
  }
  rmSync(dataDir, { recursive: true, force: true })
  log(`trail: building ${events.toLocaleString('en-US')} events in ${dataDir}`)
  const t0 = now()
  // The data directory warnings (under /tmp in a container) do not apply to a throw-away trail.
  const trail = await openTrail(loadConfig({ env: {}, flags: { dataDir } }), { role: 'collector', onWarning: () => {} })
  try {
    let appended = 0
    for (const raw of tradingEventBatches(events, 1000)) {
      const result = await trail.submit(validateBatch(raw, { nowMicros: Date.now() * 1000 }), 'bench')
      appended += result.accepted
      if (appended % 200_000 === 0) log(`trail: ${appended.toLocaleString('en-US')} events`)
    }
    await trail.store.query({ q: 'EURUSD', limit: 1 }) // the full-text index caught up
    if (appended !== events) throw new Error(`trail build stored ${appended} of ${events} events`)
  } finally {
    await trail.close()
  }
  const buildSec = round((now() - t0) / 1000, 1)
  const written: Marker = { version: GENERATOR_VERSION, events, builtAt: new Date().toISOString(), buildSec }
  writeFileSync(markerPath, JSON.stringify(written) + '\n')
  log(`trail: built in ${buildSec} s`)
  return { ...base, reused: false, buildSec }
}

function readMarker(path: string): Marker | undefined {
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Marker
  } catch {
    return undefined
  }
}
