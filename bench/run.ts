/**
 * `npm run bench [-- NAME…] [--quick] [--profile]`: runs every bench/*.bench.ts (or the
 * named ones) one after another, each in its own process, then prints one table and
 * writes the reports to bench/results/<time>/. One temporary 1M-event trail is shared
 * by the benches that read a trail (bench-trail.ts). Everything temporary goes into one
 * directory (the benches' TMPDIR), removed at the end or on Ctrl-C.
 *
 *   --quick     ~1/10 scale, a smoke check (also BENCH_QUICK=1)
 *   --profile   run each bench under `node --cpu-prof` and print its top self-time functions
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { BENCH_DIR, type BenchReport, QUICK, RESULTS_DIR, formatTable, machineInfo, meetsTarget } from './bench-harness.ts'
import { formatTop, selfTimes } from './profile-top.ts'

const USAGE = 'usage: npm run bench [-- NAME… ] [--quick] [--profile]'

const args = process.argv.slice(2)
if (args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}\nbenches: ${available().join(', ')}\n`)
  process.exit(0)
}
const profile = args.includes('--profile')
const unknownFlag = args.find((a) => a.startsWith('-') && a !== '--quick' && a !== '--profile')
if (unknownFlag !== undefined) fail(`unknown option ${unknownFlag}`)
const named = args.filter((a) => !a.startsWith('-')).map((a) => a.replace(/\.bench\.ts$/, ''))
for (const name of named) if (!available().includes(name)) fail(`no bench named ${name} (have: ${available().join(', ')})`)
const benches = named.length > 0 ? named : available()

const startedAt = new Date().toISOString()
const runDir = join(RESULTS_DIR, startedAt.replace(/[:.]/g, '-'))
mkdirSync(runDir, { recursive: true })
const scratchDir = mkdtempSync(join(tmpdir(), 'tt-bench-'))
const trailDir = process.env.BENCH_TRAIL_DIR ?? join(scratchDir, 'trail')
const removeScratch = (): void => rmSync(scratchDir, { recursive: true, force: true, maxRetries: 3 })
// Interrupted: stop the running bench first, so that nothing writes into the scratch directory while it is removed.
let current: ChildProcess | undefined
let interrupted = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    interrupted = true
    current?.kill(signal)
  })
}

const reports: BenchReport[] = []
const failed: string[] = []
try {
  for (const name of benches) {
    if (interrupted) break
    const out = join(runDir, `${name}.json`)
    const profileArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${join(runDir, 'profiles')}`, `--cpu-prof-name=${name}.cpuprofile`] : []
    process.stderr.write(`\n=== ${name} ===\n`)
    const code = await runChild([...profileArgs, '--import', 'tsx', join(BENCH_DIR, `${name}.bench.ts`)], {
      ...process.env, TMPDIR: scratchDir, BENCH_OUT: out, BENCH_TRAIL_DIR: trailDir, ...(QUICK ? { BENCH_QUICK: '1' } : {}),
    })
    if (interrupted) break
    // A bench that failed after measuring (events lost) still wrote its report: show its figures.
    const reported = existsSync(out)
    if (reported) reports.push(JSON.parse(readFileSync(out, 'utf8')) as BenchReport)
    if (code !== 0 || !reported) failed.push(name)
    const profilePath = join(runDir, 'profiles', `${name}.cpuprofile`)
    if (profile && existsSync(profilePath)) {
      process.stdout.write(`top self time, ${name} (${relative(process.cwd(), profilePath)}):\n${formatTop(selfTimes(JSON.parse(readFileSync(profilePath, 'utf8'))).slice(0, 15))}\n`)
    }
  }
} finally {
  removeScratch()
}
if (interrupted) {
  process.stderr.write('bench: interrupted\n')
  process.exit(130)
}

const summary = { startedAt, command: `npm run bench -- ${args.join(' ')}`.trim().replace(/ --$/, ''), machine: machineInfo(), reports, failed }
writeFileSync(join(runDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n')
const missed = reports.flatMap((r) => r.metrics).filter((m) => meetsTarget(m) === false).length
process.stdout.write(`\n${formatTable(reports)}\n\n`)
process.stdout.write(`${QUICK ? 'QUICK (1/10 scale) — not comparable with the targets. ' : ''}${missed} target(s) missed${failed.length > 0 ? `; FAILED: ${failed.join(', ')}` : ''}. Reports: ${relative(process.cwd(), runDir)}/\n`)
if (failed.length > 0) process.exitCode = 1

function available(): string[] {
  return readdirSync(BENCH_DIR).filter((f) => f.endsWith('.bench.ts')).map((f) => f.slice(0, -'.bench.ts'.length)).sort()
}

function runChild(nodeArgs: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, { stdio: 'inherit', env })
    current = child
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      current = undefined
      resolve(code ?? (signal !== null ? 128 : 1))
    })
  })
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`)
  process.exit(2)
}
