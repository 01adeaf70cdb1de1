/**
 * The top self-time functions of a V8 CPU profile (`node --cpu-prof`), so that a slow
 * bench can be explained in a few lines. `npm run bench -- --profile` prints them for
 * every bench; for any other profile:
 *
 *   node --import tsx bench/profile-top.ts FILE.cpuprofile [--top 25] [--under FUNCTION]
 *
 * `--under` keeps only samples taken inside FUNCTION (any frame of the stack), e.g.
 * `--under '#appendLocked'` for the store's append without the bench's own setup.
 */
import { readFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string }
  children?: number[]
}

export interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface SelfTime {
  /** Function name and file. */
  fn: string
  ms: number
  /** Fraction of all sampled time. */
  share: number
}

/**
 * Self time per function, largest first; native code (SQLite, OpenSSL) shows as the
 * binding's function name (`run`, `all`, `digest`). With `under`, only samples whose
 * stack holds a function of that name count, and shares are of those samples.
 */
export function selfTimes(profile: CpuProfile, under?: string): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const inside = new Map<number, boolean>()
  const isInside = (id: number): boolean => {
    let known = inside.get(id)
    if (known === undefined) {
      const p = parent.get(id)
      known = byId.get(id)?.callFrame.functionName === under || (p !== undefined && isInside(p))
      inside.set(id, known)
    }
    return known
  }
  const totals = new Map<string, number>()
  let all = 0
  // timeDeltas[i] is the time elapsed before sample i: attribute it to the sampled node.
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)
    if (node === undefined || (under !== undefined && !isInside(node.id))) continue
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    all += ms
    const key = label(node)
    totals.set(key, (totals.get(key) ?? 0) + ms)
  }
  return [...totals].map(([fn, ms]) => ({ fn, ms, share: ms / all })).sort((a, b) => b.ms - a.ms)
}

export function formatTop(rows: readonly SelfTime[]): string {
  return rows.map((r) => `${r.ms.toFixed(0).padStart(8)} ms  ${(r.share * 100).toFixed(1).padStart(5)}%  ${r.fn}`).join('\n')
}

function label(node: ProfileNode): string {
  const { functionName, url } = node.callFrame
  const name = functionName || '(anonymous)'
  // Line numbers are left out: under tsx they point into the transpiled text, not the source.
  if (url === '') return name
  if (!url.startsWith('file:')) return `${name} ${url}`
  return `${name} ${relative(process.cwd(), fileURLToPath(url))}`
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, ...rest] = process.argv.slice(2)
  if (file === undefined) {
    process.stderr.write('usage: node --import tsx bench/profile-top.ts FILE.cpuprofile [--top N]\n')
    process.exit(2)
  }
  const option = (name: string): string | undefined => {
    const i = rest.indexOf(name)
    return i >= 0 ? rest[i + 1] : undefined
  }
  const top = Number(option('--top') ?? 25)
  const rows = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, option('--under'))
  const total = rows.reduce((n, r) => n + r.ms, 0)
  process.stdout.write(`${total.toFixed(0)} ms sampled${option('--under') ? ` under ${option('--under')}` : ''}\n${formatTop(rows.slice(0, top))}\n`)
}
