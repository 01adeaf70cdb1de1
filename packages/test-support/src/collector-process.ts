/**
 * A real collector (`tradetrail serve`) in a child process on a real port, as an operator runs
 * it: port 0, its own data directory, the admin token read from its first-start banner.
 * Every process started here is SIGKILLed in its owner's `after` hook if it still runs, so a
 * failing test leaves nothing behind. Also a small keep-alive HTTP client for talking to it.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { Agent, request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { uuidv7 } from '@tradetrail/core'
import { CLI_BIN } from './run-cli.ts'
import { type Hooks, removeDir, tempDir } from './temp-dir.ts'

export interface CollectorOptions {
  /** Data directory (default: a fresh temporary one, removed after the process is killed). */
  dataDir?: string
  /** Extra environment. The runner's TRADETRAIL_* and the seeds' aliases are never inherited. */
  env?: Record<string, string | undefined>
  /** Extra arguments after `serve --port 0`. */
  args?: readonly string[]
  /** Fail when the banner has not appeared by then (default 90 s: tsx compiles on a busy machine). */
  startTimeoutMs?: number
}

export interface CollectorExit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface CollectorProcess {
  readonly child: ChildProcess
  readonly pid: number
  /** `http://127.0.0.1:PORT` */
  readonly url: string
  readonly port: number
  readonly dataDir: string
  /** The admin token of the first-start banner; undefined when tokens already existed. */
  readonly adminToken: string | undefined
  /** Everything written so far. */
  stdout(): string
  stderr(): string
  readonly exited: Promise<CollectorExit>
  /** Whether the process is still running. */
  running(): boolean
  /** SIGTERM (graceful shutdown) and wait for the exit; SIGKILL and fail after `timeoutMs`. */
  stop(timeoutMs?: number): Promise<CollectorExit>
  /** SIGKILL and wait for the exit. */
  kill(): Promise<CollectorExit>
}

/** Seed aliases that the server's config.ts honours: a test must never pick them up from the runner. */
const ALIASES = ['QT_ALERT_WEBHOOK', 'QT_AUDIT_EMAIL', 'QT_SMTP_SERVER', 'QT_SMTP_PORT', 'RISK_AUDIT_LOG_PATH']

export function collectorEnv(extra: CollectorOptions['env'] = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TRADETRAIL_') && !ALIASES.includes(k)) env[k] = v
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k]
    else env[k] = v
  }
  return env
}

const LISTENING = /Tradetrail collector listening on (https?:\/\/[^\s]+)/
const TOKEN_LINE = /^ {2}token: +(tt_\S+)$/m
/** The last line of the banner, at every start. */
const BANNER_END = /^SDK and examples: .*\n/m

/** Spawns `tradetrail serve --port 0` and resolves once its banner is printed. */
export async function spawnCollector(owner: Hooks, options: CollectorOptions = {}): Promise<CollectorProcess> {
  const ownDir = options.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'tt-collector-')) : undefined
  const dataDir = options.dataDir ?? join(ownDir!, 'data')
  const child = spawn(process.execPath, [CLI_BIN, '--data-dir', dataDir, 'serve', '--port', '0', ...(options.args ?? [])], {
    env: collectorEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (s: string) => { stdout += s })
  child.stderr!.setEncoding('utf8').on('data', (s: string) => { stderr += s })
  const exited = new Promise<CollectorExit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal }))
    child.on('error', () => resolve({ code: null, signal: null }))
  })
  const running = (): boolean => child.exitCode === null && child.signalCode === null
  const kill = async (): Promise<CollectorExit> => {
    if (running()) child.kill('SIGKILL')
    return exited
  }
  // Even a test process that dies of an uncaught error takes its collectors with it.
  const onParentExit = (): void => {
    if (running()) child.kill('SIGKILL')
    if (ownDir !== undefined) removeDir(ownDir)
  }
  process.on('exit', onParentExit)
  // Killed before its directory goes: after hooks run in the order they were added.
  owner.after(async () => {
    await kill()
    if (ownDir !== undefined) removeDir(ownDir)
    process.off('exit', onParentExit)
  })

  const timeoutMs = options.startTimeoutMs ?? 90_000
  const banner = await new Promise<{ url: string }>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      reject(new Error(`collector did not print its banner within ${timeoutMs} ms; stdout: ${stdout.slice(-800)} stderr: ${stderr.slice(-800)}`))
    }, timeoutMs)
    const check = (): void => {
      const m = LISTENING.exec(stdout)
      if (m !== null && BANNER_END.test(stdout.slice(m.index))) {
        cleanup()
        resolve({ url: m[1]! })
      }
    }
    const onExit = (): void => {
      cleanup()
      void exited.then((e) => reject(new Error(`collector exited (code ${e.code}, signal ${e.signal}) before listening; stdout: ${stdout.slice(-800)} stderr: ${stderr.slice(-800)}`)))
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      child.stdout!.off('data', check)
      child.off('exit', onExit)
    }
    child.stdout!.on('data', check)
    child.on('exit', onExit)
    check()
  }).catch(async (error: unknown) => {
    await kill()
    throw error
  })

  const port = Number(new URL(banner.url).port)
  const adminToken = TOKEN_LINE.exec(stdout)?.[1]
  return {
    child, pid: child.pid!, url: banner.url, port, dataDir, adminToken, exited, running, kill,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop(stopTimeoutMs = 30_000) {
      if (!running()) return exited
      child.kill('SIGTERM')
      let timer: NodeJS.Timeout | undefined
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          child.kill('SIGKILL')
          reject(new Error(`collector did not exit within ${stopTimeoutMs} ms of SIGTERM (killed); stderr: ${stderr.slice(-800)}`))
        }, stopTimeoutMs)
      })
      try {
        return await Promise.race([exited, late])
      } finally {
        clearTimeout(timer)
      }
    },
  }
}

/**
 * An owner for resources made inside a `before` hook: node:test runs an `after` registered
 * there as soon as that hook ends, so collect the clean-ups here and run them from a
 * file-level `after(() => owner.run())`. They run in the order they were added.
 */
export function deferredHooks(): Hooks & { run(): Promise<void> } {
  const fns: Array<() => unknown> = []
  return {
    after(fn: () => unknown) {
      fns.push(fn)
    },
    async run() {
      const errors: unknown[] = []
      for (const fn of fns.splice(0)) {
        try {
          await fn()
        } catch (error) {
          errors.push(error)
        }
      }
      if (errors.length > 0) throw errors[0]
    },
  }
}

/** A temporary directory for a data dir shared by several collector starts (removed in `owner`'s after hook). */
export function sharedDataDir(owner: Hooks, label = 'tt-collector'): string {
  return join(tempDir(owner, label), 'data')
}

export interface HttpAnswer {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
  text: string
  /** The body parsed as JSON; throws with the body shown when it is not JSON. */
  json<T = any>(): T
}

export interface HttpOptions {
  method?: string
  headers?: OutgoingHttpHeaders
  /** A string or Buffer sent as is; anything else is sent as JSON (content-type set unless given). */
  body?: unknown
  /** Bearer token for the Authorization header. */
  token?: string
  /** Fail when no answer came by then (default 30 s). */
  timeoutMs?: number
  /** Use a fresh connection instead of the keep-alive pool (for requests that may poison one). */
  fresh?: boolean
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: 64 })

/** One HTTP request over a keep-alive connection; the whole answer, gunzipped if needed. */
export function http(base: string, path: string, options: HttpOptions = {}): Promise<HttpAnswer> {
  const headers: OutgoingHttpHeaders = { ...options.headers }
  let body: Buffer | undefined
  if (options.body !== undefined) {
    if (typeof options.body === 'string' || Buffer.isBuffer(options.body)) body = Buffer.from(options.body as string | Buffer)
    else {
      body = Buffer.from(JSON.stringify(options.body))
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json'
    }
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) headers['content-length'] = body.length
  }
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  const method = options.method ?? (body !== undefined ? 'POST' : 'GET')
  const timeoutMs = options.timeoutMs ?? 30_000
  return new Promise((resolve, reject) => {
    const req = httpRequest(new URL(path, base), { method, headers, agent: options.fresh ? false : keepAlive }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        clearTimeout(timer)
        let raw = Buffer.concat(chunks)
        if (res.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw)
        const text = raw.toString('utf8')
        resolve({
          status: res.statusCode!, headers: res.headers, body: raw, text,
          json<T>() {
            try {
              return JSON.parse(text) as T
            } catch {
              throw new Error(`${method} ${path}: answer ${res.statusCode} is not JSON: ${text.slice(0, 300)}`)
            }
          },
        })
      })
    })
    const timer = setTimeout(() => {
      req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    req.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    req.end(body)
  })
}

/**
 * One HTTP/1.1 request written by hand, for framing or sizes no client library will send, then
 * our side closed (a server waiting for a promised body learns it will not come); the raw answer.
 */
export function rawRequest(port: number, head: string, body: string | Buffer = '', timeoutMs = 30_000): Promise<{ status: number; raw: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head)
      socket.end(body)
    })
    let raw = ''
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`no answer within ${timeoutMs} ms to ${JSON.stringify(head.slice(0, 200))}`))
    }, timeoutMs)
    socket.setEncoding('utf8').on('data', (s: string) => { raw += s })
    socket.on('error', () => {}) // a reset after the answer is fine; no answer fails below
    socket.on('close', () => {
      clearTimeout(timer)
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(raw)
      if (status === null) reject(new Error(`the connection closed without an HTTP answer: ${JSON.stringify(raw.slice(0, 200))}`))
      else resolve({ status: Number(status[1]), raw })
    })
  })
}

/** Drops idle keep-alive connections, so a test file's process can exit promptly. */
export function closeHttp(): void {
  keepAlive.destroy()
}

/** `{ error: { code, message } }` of an answer, or a failure describing what came instead. */
export function errorOf(answer: HttpAnswer): { code: string; message: string; problems?: Array<{ index?: number; path: string; code: string; message: string }> } {
  const parsed = answer.json<{ error?: { code?: unknown; message?: unknown } }>()
  if (typeof parsed?.error?.code !== 'string' || typeof parsed.error.message !== 'string') {
    throw new Error(`expected {"error":{"code","message"}}, saw ${answer.status} ${answer.text.slice(0, 300)}`)
  }
  return parsed.error as ReturnType<typeof errorOf>
}

/** A one-line account of an answer for assertion messages. */
export function describeAnswer(answer: HttpAnswer): string {
  return `${answer.status} ${answer.text.slice(0, 400)}`
}

/** A valid wire-format event of `project` with a fresh UUIDv7 id; `fields` override or add. */
export function testEvent(project: string, fields: Record<string, unknown> = {}): Record<string, unknown> & { id: string } {
  return { id: uuidv7(), project, type: 'test', message: `test event of ${project}`, ...fields } as Record<string, unknown> & { id: string }
}

/**
 * Events stored per project, the collector's own `tradetrail` project left out (it records
 * verification runs, token changes, … as it goes). Equal before and after = nothing stored.
 */
export async function producerCounts(base: string, readToken: string): Promise<Record<string, number>> {
  const answer = await http(base, '/v1/stats', { token: readToken })
  if (answer.status !== 200) throw new Error(`GET /v1/stats: expected 200, saw ${describeAnswer(answer)}`)
  const counts = { ...answer.json<{ by_project: Record<string, number> }>().by_project }
  delete counts.tradetrail
  return counts
}
