/**
 * What every bench file shares: the scale (`--quick` or BENCH_QUICK=1 runs ~1/10 of it),
 * timing and percentile helpers, the machine description, and the report a bench
 * prints and writes as JSON. A bench file is a script that calls `runBench` once;
 * run.ts starts each in its own process so that one bench's heap and JIT state never
 * colour another's figures.
 */
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir, totalmem } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { filesystemOf } from '@tradetrail/core'

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url))
export const RESULTS_DIR = join(BENCH_DIR, 'results')

/** Smoke-check scale: ~1/10 of every count. */
export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'

/** `full` at full scale, a tenth of it (at least `min`) with --quick. */
export function scaled(full: number, min = 1): number {
  return QUICK ? Math.max(min, Math.round(full / 10)) : full
}

/** A figure a bench reports; `target` makes the table say whether it holds. */
export interface Metric {
  name: string
  value: number
  unit: string
  target?: { op: '>=' | '<' | '<='; value: number }
  note?: string
}

export interface BenchReport {
  bench: string
  quick: boolean
  startedAt: string
  durationSec: number
  machine: MachineInfo
  metrics: Metric[]
  /** Per-round figures, plans, sizes: whatever explains the metrics. */
  details: Record<string, unknown>
  /** Why the bench failed although it measured (events lost): its figures stand, the run fails. */
  failure?: string
}

export interface MachineInfo {
  cpus: number
  cpuModel: string
  memoryGiB: number
  node: string
  sqlite: string
  /** File system of the temporary directory the trails are written to. */
  tmpdir: string
  tmpdirFs: string
  loadAverageAtStart: number[]
  loadAverageAtEnd?: number[]
  commit: string
}

export function machineInfo(): MachineInfo {
  const db = new Database(':memory:')
  const sqlite = db.prepare('SELECT sqlite_version()').pluck().get() as string
  db.close()
  let commit = 'unknown'
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: BENCH_DIR, encoding: 'utf8' }).trim()
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../packages'], { cwd: BENCH_DIR, encoding: 'utf8' }).trim()
    if (dirty !== '') commit += ' (packages/ modified)'
  } catch {
    // Not a git checkout: the commit is simply unknown.
  }
  let mounts = ''
  try {
    mounts = readFileSync('/proc/mounts', 'utf8')
  } catch {
    // No /proc (not Linux): file system unknown.
  }
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    sqlite,
    tmpdir: tmpdir(),
    tmpdirFs: filesystemOf(tmpdir(), mounts) ?? 'unknown',
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
    commit,
  }
}

const tempDirs = new Set<string>()
process.on('exit', () => { for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true }) })

/**
 * A fresh directory in the OS temporary directory, removed by removeTempDir or at exit.
 * Not on a signal: a bench's loops rarely return to the event loop, so a handler would
 * wait for the end; run.ts points TMPDIR at a directory of its own and removes that.
 */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  tempDirs.add(dir)
  return dir
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
  tempDirs.delete(dir)
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export const now = (): number => performance.now()

/**
 * CPU time of this process (user + system, all threads), in ms. On a shared machine,
 * CPU time over wall time of a CPU-bound pass shows how much of a core the bench got:
 * near 1 on an idle machine, well below when other work competes.
 */
export function cpuNow(): number {
  const { user, system } = process.cpuUsage()
  return (user + system) / 1000
}

/**
 * Bytes this process has handed to write(2) so far (`wchar` of /proc/self/io), or NaN
 * where there is no /proc: the WAL frames, checkpoints and files a bench writes.
 */
export function bytesWritten(): number {
  try {
    const m = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))
    return m ? Number(m[1]) : NaN
  } catch {
    return NaN
  }
}

/** Nearest-rank percentile of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN
  const sorted = [...samples].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Progress for the person watching; stderr, so that stdout carries only the report table. */
export function log(message: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${message}\n`)
}

export function round(value: number, digits = 0): number {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** Whether a metric meets its target; undefined when it has none. */
export function meetsTarget(m: Metric): boolean | undefined {
  if (m.target === undefined) return undefined
  switch (m.target.op) {
    case '>=': return m.value >= m.target.value
    case '<': return m.value < m.target.value
    case '<=': return m.value <= m.target.value
  }
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US')
  if (Math.abs(value) >= 10) return value.toFixed(1)
  return value.toFixed(value === Math.round(value) ? 0 : 3)
}

/** The metrics of one or more reports as an aligned text table. */
export function formatTable(reports: readonly BenchReport[]): string {
  const rows: string[][] = [['bench', 'metric', 'value', 'unit', 'target', '']]
  for (const r of reports) {
    for (const m of r.metrics) {
      const ok = meetsTarget(m)
      rows.push([
        r.bench, m.name, formatValue(m.value), m.unit,
        m.target ? `${m.target.op} ${formatValue(m.target.value)}` : '',
        ok === undefined ? '' : ok ? 'ok' : 'MISSED',
      ])
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)))
  const line = (row: string[]): string =>
    row.map((cell, c) => (c === 2 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd()
  return [line(rows[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)].join('\n')
}

/** Where a report goes: BENCH_OUT when run.ts chose the path, else a fresh file in bench/results/. */
function reportPath(bench: string, startedAt: string): string {
  if (process.env.BENCH_OUT) return process.env.BENCH_OUT
  return join(RESULTS_DIR, `${startedAt.replace(/[:.]/g, '-')}-${bench}.json`)
}

export interface BenchOutcome {
  metrics: Metric[]
  details?: Record<string, unknown>
  /** A check failed after the figures were taken: they are reported, and the bench fails. */
  failure?: string
}

/**
 * Runs a bench body, then prints its table and writes its JSON report. Failures
 * set a non-zero exit code rather than throwing past the caller's cleanup; a body's
 * `failure` does too, after its report is written.
 */
export async function runBench(file: string, body: () => Promise<BenchOutcome>): Promise<void> {
  const bench = basename(fileURLToPath(file)).replace(/\.bench\.ts$/, '')
  const startedAt = new Date().toISOString()
  const machine = machineInfo()
  log(`${bench}: ${QUICK ? 'quick (1/10 scale)' : 'full scale'}, ${machine.cpus} CPUs, load ${machine.loadAverageAtStart.join(' ')}, tmpdir ${machine.tmpdir} (${machine.tmpdirFs})`)
  const t0 = now()
  try {
    const outcome = await body()
    machine.loadAverageAtEnd = loadavg().map((l) => round(l, 2))
    const report: BenchReport = {
      bench, quick: QUICK, startedAt, durationSec: round((now() - t0) / 1000, 1), machine,
      metrics: outcome.metrics, details: outcome.details ?? {}, ...(outcome.failure ? { failure: outcome.failure } : {}),
    }
    const path = reportPath(bench, startedAt)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, JSON.stringify(report, null, 2) + '\n')
    process.stdout.write(`\n${formatTable([report])}\n\n`)
    log(`${bench}: done in ${report.durationSec} s, load ${machine.loadAverageAtEnd.join(' ')}; report ${path}`)
    if (outcome.failure) {
      process.stderr.write(`${bench}: failed: ${outcome.failure}\n`)
      process.exitCode = 1
    }
  } catch (error) {
    process.stderr.write(`${bench}: failed: ${(error as Error).stack ?? String(error)}\n`)
    process.exitCode = 1
  }
}
