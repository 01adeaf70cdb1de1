/**
 * What the client tests share: a real collector with an ingest token for a project, the
 * events it stored for that project, a bot child process, and a faulty HTTP proxy that sits
 * in front of a real collector (refuses, answers garbage, or commits and then drops the answer).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { type IncomingMessage, type Server, type ServerResponse, createServer, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'
import type { StoredEvent } from '@tradetrail/core'
import {
  collectorEnv, type CollectorOptions, type CollectorProcess, type Hooks, http, spawnCollector, storedEvents, waitFor,
} from '@tradetrail/test-support'

export { tempDir } from '@tradetrail/test-support'
export { waitFor, http, type CollectorProcess, type Hooks }

export const BOT = fileURLToPath(new URL('../fixtures/bot.ts', import.meta.url))

/** A collector, and an ingest token for `project` (granted execute_trade). */
export async function collectorFor(owner: Hooks, project: string, options: CollectorOptions & { port?: number } = {}): Promise<{ c: CollectorProcess; token: string }> {
  const c = await startCollector(owner, options)
  const answer = await http(c.url, '/v1/tokens', { token: c.adminToken!, body: { scope: 'ingest', projects: [project], privileges: ['execute_trade'] } })
  assert.equal(answer.status, 201, `creating an ingest token: ${answer.text}`)
  return { c, token: answer.json<{ token: string }>().token }
}

/** `spawnCollector`, on a given port when `port` is set (a restart that clients must find again). */
export function startCollector(owner: Hooks, options: CollectorOptions & { port?: number } = {}): Promise<CollectorProcess> {
  const { port, ...rest } = options
  return spawnCollector(owner, { ...rest, args: [...(rest.args ?? []), ...(port === undefined ? [] : ['--port', String(port)])] })
}

/** Events of `project` in the collector's trail, in seq order (read through `tradetrail export`). */
export async function projectEvents(dataDir: string, project: string): Promise<StoredEvent[]> {
  return (await storedEvents(dataDir)).filter((e) => e.project === project)
}

/** Asserts that `events` (boot events aside) carry data.i = 0 … n−1 exactly once each, in order. */
export function assertExactlyOnceInOrder(events: readonly StoredEvent[], n: number): void {
  const numbers = events.filter((e) => e.type !== 'boot').map((e) => (e.data as { i: number }).i)
  const ids = new Set(events.map((e) => e.id))
  assert.equal(ids.size, events.length, 'no id is stored twice')
  const firstWrong = numbers.findIndex((value, index) => value !== index)
  assert.ok(firstWrong === -1 && numbers.length === n,
    `expected data.i = 0…${n - 1} once each in order; got ${numbers.length} events, first out of place at position ${firstWrong} (value ${numbers[firstWrong]})`)
}

export interface Bot {
  child: ChildProcess
  stdout(): string
  /** Highest i the bot reported as sent. */
  lastSent(): number
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

/** Starts the bot fixture with `env` (BOT_*); SIGKILLed in the owner's after hook if still running. */
export function startBot(owner: Hooks, env: Record<string, string>): Bot {
  const child = spawn(process.execPath, ['--import', 'tsx', BOT], { env: { ...collectorEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { err += s })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
  owner.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    return exited
  })
  return {
    child,
    stdout: () => out + (err === '' ? '' : `\n[stderr]\n${err}`),
    lastSent: () => {
      const all = [...out.matchAll(/^sent (\d+)$/gm)]
      return all.length === 0 ? -1 : Number(all[all.length - 1]![1])
    },
    exited,
  }
}

export type ProxyMode = 'forward' | 'refuse-500' | 'garbage-200' | 'commit-then-drop' | 'plain-400'

/**
 * An HTTP proxy in front of a real collector whose behaviour the test switches: `forward`
 * passes requests through; the others fail in the ways a network or a wrong server fails.
 */
export async function faultyProxy(owner: Hooks, target: string): Promise<{ url: string; mode: ProxyMode; requests: number; server: Server }> {
  const state = { url: '', mode: 'forward' as ProxyMode, requests: 0, server: undefined as unknown as Server }
  const forward = (req: IncomingMessage, body: Buffer, done: (status: number, headers: Record<string, string>, answer: Buffer) => void): void => {
    const out = httpRequest(new URL(req.url!, target), { method: req.method, headers: req.headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => done(res.statusCode!, { 'content-type': String(res.headers['content-type'] ?? 'application/json') }, Buffer.concat(chunks)))
    })
    out.on('error', () => done(502, {}, Buffer.from('bad gateway')))
    out.end(body)
  }
  state.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      state.requests++
      const body = Buffer.concat(chunks)
      switch (state.mode) {
        case 'forward':
          return forward(req, body, (status, headers, answer) => res.writeHead(status, headers).end(answer))
        case 'refuse-500':
          return res.writeHead(500, { 'content-type': 'text/plain' }).end('internal trouble')
        case 'garbage-200':
          return res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok": tru')
        case 'plain-400':
          return res.writeHead(400, { 'content-type': 'text/html' }).end('<h1>Bad Request</h1>')
        case 'commit-then-drop':
          // The collector commits; the answer never reaches the client.
          return forward(req, body, () => res.socket?.destroy())
      }
    })
  })
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve))
  state.url = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`
  owner.after(() => new Promise<void>((resolve) => {
    state.server.closeAllConnections()
    state.server.close(() => resolve())
  }))
  return state
}
