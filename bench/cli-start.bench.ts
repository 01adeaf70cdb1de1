/**
 * How long a `tradetrail` command takes from spawn to exit, as a shell script sees it:
 * `tradetrail --help` and `tradetrail log "x"` on a temporary data directory, both through
 * bin/tradetrail.js on the built dist/ (built first), against `node -e 0` (the floor any Node
 * CLI pays) and against the same bin on the TypeScript sources through tsx (what every command
 * cost before dist/). The commands run round-robin, RUNS times each after one warm-up round
 * (which also creates the trail); figures are medians of wall time.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type Metric, log, makeTempDir, median, now, round, runBench, scaled } from './bench-harness.ts'

const RUNS = scaled(15, 3)
const SERVER = fileURLToPath(new URL('../packages/server/', import.meta.url))
const BIN = join(SERVER, 'bin', 'tradetrail.js')

interface Command {
  name: string
  argv: string[]
  /** Target on the median, in ms. */
  target?: number
}

await runBench(import.meta.url, async () => {
  log('building dist/')
  execFileSync(process.execPath, [join(SERVER, 'scripts', 'build.mjs')], { stdio: 'inherit' })
  if (staleInputs().length > 0) throw new Error(`dist/ is older than ${staleInputs().join(', ')} right after the build`)

  const dir = makeTempDir('tt-cli-start-')
  const dataDir = join(dir, 'data')
  // The bin as it was before dist/: tsx registered, then the sources imported.
  const tsxBin = join(dir, 'tradetrail-tsx.mjs')
  writeFileSync(tsxBin, [
    `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})`,
    'register()',
    `const { main } = await import(${JSON.stringify(new URL('src/cli/main.ts', `file://${SERVER}`).href)})`,
    'process.exitCode = await main(process.argv)',
  ].join('\n'))

  const commands: Command[] = [
    { name: 'node -e 0', argv: ['-e', '0'] },
    { name: 'tradetrail --help', argv: [BIN, '--help'], target: 150 },
    { name: 'tradetrail log', argv: [BIN, 'log', 'x', '--data-dir', dataDir], target: 300 },
    { name: 'tradetrail --help, tsx', argv: [tsxBin, '--help'] },
    { name: 'tradetrail log, tsx', argv: [tsxBin, 'log', 'x', '--data-dir', dataDir] },
  ]
  const samples = new Map<string, number[]>(commands.map((c) => [c.name, []]))
  for (let r = 0; r <= RUNS; r++) {
    for (const c of commands) {
      const t0 = now()
      const result = spawnSync(process.execPath, c.argv, { encoding: 'utf8' })
      const ms = now() - t0
      if (result.status !== 0) throw new Error(`${c.name} exited ${result.status}: ${result.stderr}`)
      if (r > 0) samples.get(c.name)!.push(round(ms, 1))
    }
    if (r > 0) log(`round ${r}: ${commands.map((c) => `${c.name} ${samples.get(c.name)!.at(-1)} ms`).join(', ')}`)
  }
  // An edit during the run sends the bin to tsx: then the "built" figures are not.
  const stale = staleInputs()

  const floor = median(samples.get('node -e 0')!)
  const metrics: Metric[] = []
  for (const c of commands) {
    const ms = median(samples.get(c.name)!)
    metrics.push({ name: `${c.name}: median wall`, value: ms, unit: 'ms', ...(c.target ? { target: { op: '<', value: c.target } } : {}) })
    if (c.name !== 'node -e 0') metrics.push({ name: `${c.name}: / node -e 0`, value: ms / floor, unit: 'x' })
  }
  return {
    metrics,
    details: { runs: RUNS, samples: Object.fromEntries(samples) },
    ...(stale.length > 0 ? { failure: `sources changed during the run (${stale.join(', ')}): the bin fell back to tsx` } : {}),
  }
})

/** The sources newer than dist/'s build (what makes bin/tradetrail.js fall back to tsx). */
function staleInputs(): string[] {
  const dist = new URL('../packages/server/dist/', import.meta.url)
  const manifest = JSON.parse(readFileSync(new URL('build-inputs.json', dist), 'utf8')) as { startedAt: number; inputs: string[] }
  return manifest.inputs.filter((input) => {
    try {
      return statSync(new URL(input, dist)).mtimeMs >= manifest.startedAt
    } catch {
      return true
    }
  })
}
