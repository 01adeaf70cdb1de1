/**
 * What the stream benches share: the stream clients as a child process (stream-clients.ts,
 * driven over IPC), a paced poster (open loop, wrk2's semantics: each batch has its planned
 * send time, and its latency counts from then, so a stalled collector cannot hide its stall
 * by delaying the sends), and the events it posts.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { Agent, request } from 'node:http'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BENCH_DIR, now } from './bench-harness.ts'
import type { ClientCommand } from './stream-clients.ts'

/** Projects the posted events rotate over: a filter on one of them takes 1% of the events. */
export const PROJECTS = 100

/** The JSON body of batch `batch` of `n` events; each event carries the batch number in its data. */
export function streamBody(batch: number, n: number): string {
  return JSON.stringify(Array.from({ length: n }, (_, i) => {
    const k = batch * n + i
    return {
      project: `StreamBot${k % PROJECTS}`, type: 'order_submitted', severity: 'info',
      message: `Submitted order ${k} EURUSD buy 10000 @ 1.0850`, source: 'OrderRouter',
      data: { symbol: 'EURUSD', side: 'buy', quantity: 10000, price: 1.085, order_id: `o-${k}`, tt_bench_batch: batch },
    }
  }))
}

export interface Counts { at: number; events: number[]; missed: number[] }

/** The stream clients' process; `stop` ends it. */
export class StreamClients {
  readonly child: ChildProcess
  #pending: Array<{ resolve: (reply: unknown) => void; reject: (error: Error) => void }> = []

  constructor() {
    this.child = fork(join(BENCH_DIR, 'stream-clients.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.child.on('message', (message: { ok: boolean; reply?: unknown; error?: string }) => {
      const pending = this.#pending.shift()!
      if (message.ok) pending.resolve(message.reply)
      else pending.reject(new Error(`stream clients: ${message.error}`))
    })
    this.child.once('exit', (code) => { for (const p of this.#pending.splice(0)) p.reject(new Error(`stream clients exited with ${code}`)) })
  }

  /** Sends one command; replies come in order. */
  ask<T>(command: ClientCommand): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ resolve: resolve as (reply: unknown) => void, reject })
      this.child.send(command)
    })
  }

  connect(urls: string[], token?: string): Promise<unknown> {
    return this.ask({ cmd: 'connect', urls, ...(token !== undefined ? { token } : {}) })
  }

  counts(): Promise<Counts> { return this.ask({ cmd: 'counts' }) }

  stop(): void { this.child.kill('SIGKILL') }
}

/** `query`-filtered stream URLs of the collector at `httpUrl`. */
export function streamUrl(httpUrl: string, query = ''): string {
  return `${httpUrl.replace(/^http/, 'ws')}/v1/stream${query === '' ? '' : `?${query}`}`
}

export interface PacedRun {
  /** Per batch: planned send time, answer time (wall clock, ms), and answer minus plan. */
  plannedAt: Float64Array
  answeredAt: Float64Array
  latencyMs: Float64Array
  errors: number
  seconds: number
}

/**
 * Posts `seconds × eventsPerSec` events in batches of `batch` at a fixed rate over `connections`
 * keep-alive connections (as wrk2 does): each batch is issued at its planned time whatever
 * happened to the earlier ones, waiting for a free connection if none is.
 */
export async function pacedPost(url: string, token: string, eventsPerSec: number, batch: number, seconds: number, firstBatch = 0, connections = 16): Promise<PacedRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const total = Math.round((seconds * eventsPerSec) / batch)
  const intervalMs = (batch * 1000) / eventsPerSec
  const plannedAt = new Float64Array(total)
  const answeredAt = new Float64Array(total)
  const latencyMs = new Float64Array(total)
  let errors = 0
  const inFlight: Array<Promise<void>> = []
  const origin = performance.timeOrigin
  const t0 = now()
  let next = 0
  const post = async (i: number, planned: number): Promise<void> => {
    plannedAt[i] = origin + planned
    const ok = await new Promise<boolean>((resolve) => {
      const req = request(`${url}/v1/events`, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` } }, (response) => {
        response.resume()
        response.once('end', () => resolve(response.statusCode !== undefined && response.statusCode < 300))
        response.once('error', () => resolve(false))
      })
      req.once('error', () => resolve(false))
      req.end(streamBody(firstBatch + i, batch))
    })
    if (!ok) errors++
    const t = now()
    answeredAt[i] = origin + t
    latencyMs[i] = t - planned
  }
  while (next < total) {
    const due = Math.min(total, Math.floor((now() - t0) / intervalMs) + 1)
    for (; next < due; next++) inFlight.push(post(next, t0 + next * intervalMs))
    await sleep(1)
  }
  await Promise.all(inFlight)
  agent.destroy()
  return { plannedAt, answeredAt, latencyMs, errors, seconds: (now() - t0) / 1000 }
}
