/**
 * The Python client benches (bench/python/*.py) from the harness: a collector started here, the
 * script run by python3 with the package's sources on its path, its progress passed through to
 * stderr and its result (the last line of stdout, JSON) returned.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { BENCH_DIR, QUICK } from './bench-harness.ts'
import type { StartedCollector } from './collector-child.ts'

/** Runs bench/python/`script` against `collector`, temporary files in `dir`; resolves its JSON result. */
export function runPythonBench<T>(script: string, collector: StartedCollector, dir: string): Promise<T> {
  const child = spawn('python3', [join(BENCH_DIR, 'python', script)], {
    env: {
      ...process.env, PYTHONPATH: join(BENCH_DIR, '..', 'clients', 'python', 'src'), PYTHONUNBUFFERED: '1',
      BENCH_URL: collector.url, BENCH_TOKEN: collector.token, BENCH_DIR: dir, ...(QUICK ? { BENCH_QUICK: '1' } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      const last = stdout.trim().split('\n').pop() ?? ''
      if (code !== 0) return reject(new Error(`python3 ${script} exited ${code}: ${stdout.slice(-1000)}`))
      try {
        resolve(JSON.parse(last) as T)
      } catch {
        reject(new Error(`python3 ${script} printed no result: ${stdout.slice(-1000)}`))
      }
    })
  })
}
