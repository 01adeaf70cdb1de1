/**
 * The collector over HTTP, driven by wrk from a separate process (it shares the 2 cores):
 *   1. batches of 100 events, durable, against the same requests to a parse-only Fastify
 *      endpoint (fixtures/parse-only-server.ts) in the same run: events/s and the ratio;
 *   2. one event per request from 64 connections (group commit at work): events/s, p99;
 *   3. the collector's RSS after 1M events ingested.
 * Needs wrk (`apt-get install -y wrk`).
 *
 *   npm run bench -- collector-http        BENCH_SECONDS=20 to run each wrk phase longer
 */
import { type ChildProcess, execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { BENCH_DIR, type Metric, QUICK, log, makeTempDir, removeTempDir, round, runBench, scaled } from './bench-harness.ts'
import { ingested, rssMiB, startCollector, startProcess } from './collector-child.ts'

const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 3 : 15))

interface WrkResult { requests: number; seconds: number; non2xx: number; p50ms: number; p99ms: number }

function wrk(dir: string, url: string, token: string, body: string, connections: number, seconds: number): WrkResult {
  const bodyFile = join(dir, `body-${connections}-${body.length}.json`)
  writeFileSync(bodyFile, body)
  const script = join(dir, 'post.lua')
  writeFileSync(script, `
local f = io.open(${JSON.stringify(bodyFile)}, "r"); local body = f:read("*a"); f:close()
wrk.method = "POST"; wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer ${token}"
local non2xx = 0
response = function(status, headers, body) if status < 200 or status > 299 then non2xx = non2xx + 1 end end
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %f %d %f %f\\n", summary.requests, summary.duration / 1e6, summary.errors.status, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
`)
  const threads = connections >= 16 ? 2 : 1
  const out = execFileSync('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, `${url}/v1/events`], { encoding: 'utf8' })
  const m = /RESULT (\d+) ([\d.]+) (\d+) ([\d.]+) ([\d.]+)/.exec(out)
  if (!m) throw new Error(`wrk printed no result:\n${out}`)
  return { requests: Number(m[1]), seconds: Number(m[2]), non2xx: Number(m[3]), p50ms: Number(m[4]), p99ms: Number(m[5]) }
}

function batch(n: number, offset = 0): string {
  return JSON.stringify(Array.from({ length: n }, (_, i) => ({
    project: `BenchBot${(offset + i) % 10}`, type: ['order_submitted', 'order_filled', 'trade_opened'][i % 3], severity: 'info',
    message: `Submitted order ${offset + i} EURUSD buy 10000 @ 1.0850`, source: 'OrderRouter',
    data: { symbol: 'EURUSD', side: 'buy', quantity: 10000, price: 1.085, order_id: `o-${offset + i}` },
  })))
}

await runBench(import.meta.url, async () => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('wrk is not installed: apt-get install -y wrk')
  }
  const dir = makeTempDir('tt-bench-http-')
  const children: ChildProcess[] = []
  try {
    const collector = await startCollector(join(dir, 'data'))
    children.push(collector.child)
    const { url, token } = collector
    const reference = await startProcess(['--import', 'tsx', join(BENCH_DIR, 'fixtures', 'parse-only-server.ts')], {}, /listening (\d+)/)
    children.push(reference.child)
    const referenceUrl = `http://127.0.0.1:${reference.match[1]}`
    const body100 = batch(100)

    log(`warm-up, then ${SECONDS} s per phase`)
    wrk(dir, url, token, body100, 8, 2)
    wrk(dir, referenceUrl, token, body100, 8, 2)
    const rounds: Array<{ durable: WrkResult; parseOnly: WrkResult }> = []
    for (let r = 0; r < 2; r++) {
      const durable = wrk(dir, url, token, body100, 8, SECONDS)
      const parseOnly = wrk(dir, referenceUrl, token, body100, 8, SECONDS)
      log(`round ${r + 1}: durable ${round(durable.requests * 100 / durable.seconds)} events/s, parse-only ${round(parseOnly.requests * 100 / parseOnly.seconds)} events/s`)
      rounds.push({ durable, parseOnly })
    }
    const durableRate = Math.max(...rounds.map((r) => r.durable.requests * 100 / r.durable.seconds))
    const parseOnlyRate = Math.max(...rounds.map((r) => r.parseOnly.requests * 100 / r.parseOnly.seconds))

    const single = wrk(dir, url, token, batch(1), 64, SECONDS)
    log(`one event per request, 64 connections: ${round(single.requests / single.seconds)} events/s, p99 ${single.p99ms} ms`)

    const target = scaled(1_000_000, 10_000)
    while (await ingested(url, token) < target) wrk(dir, url, token, body100, 8, 5)
    const stored = await ingested(url, token)
    const rss = rssMiB(collector.child.pid!)
    log(`RSS after ${stored} events: ${rss} MiB`)

    const metrics: Metric[] = [
      { name: 'batches of 100, durable', value: round(durableRate), unit: 'events/s', target: { op: '>=', value: 150_000 } },
      { name: 'same requests, parse-only Fastify', value: round(parseOnlyRate), unit: 'events/s' },
      { name: 'ratio durable / parse-only', value: round(durableRate / parseOnlyRate, 3), unit: '' },
      { name: 'batches of 100, latency p99', value: Math.max(...rounds.map((r) => r.durable.p99ms)), unit: 'ms' },
      { name: '1 event/request, 64 connections', value: round(single.requests / single.seconds), unit: 'events/s', target: { op: '>=', value: 20_000 } },
      { name: '1 event/request, latency p99', value: single.p99ms, unit: 'ms' },
      { name: `collector RSS after ${QUICK ? stored : '1M'} events`, value: rss, unit: 'MiB', target: { op: '<', value: 200 } },
    ]
    const failures = [...rounds.flatMap((r) => [r.durable.non2xx]), single.non2xx].reduce((a, b) => a + b, 0)
    if (failures > 0) throw new Error(`${failures} non-2xx answers during the durable phases`)
    return { metrics, details: { seconds: SECONDS, rounds, single, storedEvents: stored } }
  } finally {
    for (const child of children) child.kill('SIGKILL')
    removeTempDir(dir)
  }
})
