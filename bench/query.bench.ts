/**
 * Query latency over the shared 1M-event trail, through SqliteEventStore.query opened
 * read-write as the collector opens it (SQL, rows, JSON.parse of data and metadata, and
 * the search-index catch-up check a search makes first): full-text newest-50 for a word
 * in ~1% and one in ~30% of events, and project + 1-hour range newest-50 for the last
 * hour and for an hour in the middle of the trail; also, without a target, the same two
 * hours without a project. The cases run round-robin, RUNS times each after a short
 * warm-up, on a warm page cache.
 */
import Database from 'better-sqlite3'
import { type QueryOptions, millisKey } from '@tradetrail/core'
import { SqliteEventStore } from '../packages/server/src/stores/sqlite/sqlite-event-store.ts'
import { filterSql } from '../packages/server/src/stores/sqlite/sqlite-query.ts'
import { type Metric, cpuNow, log, now, percentile, round, runBench, scaled } from './bench-harness.ts'
import { openBenchTrail } from './bench-trail.ts'
import { COMMON_WORD, RARE_WORD } from './trading-events.ts'

const RUNS = scaled(200, 20)
const WARMUP = 5
const LIMIT = 50
const HOUR_MS = 3_600_000
/** The largest project (~19% of events): the range queries' worst case among the ten. */
const PROJECT = 'QuantumTraderV3'

interface Case {
  name: string
  options: QueryOptions
  /** Measured for information: the brief's targets cover the four other cases. */
  noTarget?: boolean
}

await runBench(import.meta.url, async () => {
  const trail = await openBenchTrail()
  const store = new SqliteEventStore({ path: trail.dbPath })
  const db = new Database(trail.dbPath, { readonly: true })
  try {
    const middle = trail.startMs + Math.floor((trail.endMs - trail.startMs) / 2 / HOUR_MS) * HOUR_MS
    const cases: Case[] = [
      { name: `q=${RARE_WORD} (~1%)`, options: { q: RARE_WORD, limit: LIMIT } },
      { name: `q=${COMMON_WORD} (~30%)`, options: { q: COMMON_WORD, limit: LIMIT } },
      { name: `project + last hour`, options: { project: PROJECT, since: millisKey(trail.endMs - HOUR_MS), until: millisKey(trail.endMs), limit: LIMIT } },
      { name: `project + mid-trail hour`, options: { project: PROJECT, since: millisKey(middle), until: millisKey(middle + HOUR_MS), limit: LIMIT } },
      { name: `any project, last hour`, options: { since: millisKey(trail.endMs - HOUR_MS), until: millisKey(trail.endMs), limit: LIMIT }, noTarget: true },
      { name: `any project, mid-trail hour`, options: { since: millisKey(middle), until: millisKey(middle + HOUR_MS), limit: LIMIT }, noTarget: true },
    ]

    const described = []
    for (const c of cases) {
      const matching = (await store.stats(c.options)).total
      const returned = (await store.query(c.options)).length
      const plan = explain(db, c.options)
      log(`${c.name}: ${matching.toLocaleString('en-US')} matching events (${(100 * matching / trail.events).toFixed(2)}%), returns ${returned}\n  ${plan.join('\n  ')}`)
      described.push({ name: c.name, options: c.options, matching, returned, plan })
    }

    const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]))
    const t0 = now(), c0 = cpuNow()
    for (let i = 0; i < WARMUP + RUNS; i++) {
      for (const c of cases) {
        const t0 = now()
        await store.query(c.options)
        const ms = now() - t0
        if (i >= WARMUP) samples.get(c.name)!.push(ms)
      }
    }

    const cpuShare = (cpuNow() - c0) / (now() - t0)
    const metrics: Metric[] = []
    const latencies: Record<string, { p50: number; p95: number; p99: number; max: number }> = {}
    for (const c of cases) {
      const s = samples.get(c.name)!
      const figures = { p50: percentile(s, 50), p95: percentile(s, 95), p99: percentile(s, 99), max: Math.max(...s) }
      latencies[c.name] = { p50: round(figures.p50, 3), p95: round(figures.p95, 3), p99: round(figures.p99, 3), max: round(figures.max, 3) }
      metrics.push(
        { name: `${c.name} newest ${LIMIT} p50`, value: figures.p50, unit: 'ms' },
        { name: `${c.name} newest ${LIMIT} p95`, value: figures.p95, unit: 'ms', ...(c.noTarget ? {} : { target: { op: '<' as const, value: 10 } }) },
        { name: `${c.name} newest ${LIMIT} p99`, value: figures.p99, unit: 'ms' },
      )
    }
    metrics.push({ name: 'CPU/wall over all runs (1 = a whole core)', value: cpuShare, unit: '', note: 'well below 1: other work competed for the CPU' })
    return {
      metrics,
      details: { cpuShare: round(cpuShare, 2), events: trail.events, runs: RUNS, warmup: WARMUP, project: PROJECT, cases: described, latencies, trailReused: trail.reused, trailBuildSec: trail.buildSec },
    }
  } finally {
    db.close()
    await store.close()
    trail.cleanup()
  }
})

/** EXPLAIN QUERY PLAN of the statement SqliteEventStore.query prepares for these options. */
function explain(db: Database.Database, options: QueryOptions): string[] {
  const { from, where, params, seqColumn } = filterSql(options)
  // Mirrors SqliteEventStore.query; the plan printed is only as true as this copy.
  const sql = `SELECT e.body, e.hash FROM ${from} WHERE ${where} ORDER BY ${seqColumn} DESC LIMIT ?`
  const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params, options.limit) as Array<{ id: number; parent: number; detail: string }>
  const depth = new Map<number, number>([[0, 0]])
  return [sql, ...rows.map((r) => {
    const d = (depth.get(r.parent) ?? 0) + 1
    depth.set(r.id, d)
    return `${'  '.repeat(d - 1)}${r.detail}`
  })]
}
