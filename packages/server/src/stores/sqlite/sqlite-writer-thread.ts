/**
 * The collector's writer thread: chain, insert, commit and fsync happen here, so the event
 * loop keeps parsing, authenticating and validating while a commit is on its way to disk.
 * Between commits, when no group waits, it builds the full-text index in slices.
 *
 * The thread runs this very module (WRITER_THREAD_URL): under tsx that is this file, in the
 * build it is the bundle this module is part of; either way the guard at the bottom starts it.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import type { Anchor, Checkpoint } from '@tradetrail/core'
import { type GroupOutcome, SqliteChainWriter } from './sqlite-chain-writer.ts'
import { decodeGroup, type EncodedGroup } from './sqlite-group-codec.ts'

/** What the store sends the thread. */
export type WriterRequest =
  | { id: number; op: 'append'; group: EncodedGroup; receivedAt: string }
  | { id: number; op: 'checkpoint'; checkpoint: Checkpoint }
  | { id: number; op: 'purge'; anchor: Anchor; holdsPlaced: number | undefined }
  | { id: number; op: 'cursor'; name: string; seq: number }
  | { id: number; op: 'index'; limit: number }
  | { id: number; op: 'close' }

/** And what it answers: the op's result, or the error as code and message. */
export type WriterReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: { code?: string; statusCode?: number; message: string } }

/** Events indexed per slice: ~20 ms of work, so a commit waits at most that. */
const INDEX_SLICE = 2_000
/** Quiet time after a request before the index catches up. */
const IDLE_MS = 20
/**
 * Lag beyond which the index catches up between commits, idle or not. Under sustained load
 * the index trails by up to this many events; a search first catches it up (~0.5 s at most).
 */
const MAX_LAG = 100_000

/** The module the writer thread runs (see the file's head). */
export const WRITER_THREAD_URL = new URL(import.meta.url)
/** workerData.tradetrailThread of a writer thread. */
export const WRITER_THREAD = 'sqlite-writer'

let writer: SqliteChainWriter
let port: NonNullable<typeof parentPort>
/** Requests received and not handled yet, oldest first. */
const queue: WriterRequest[] = []
let indexing = false
/** Requests received so far: a change tells the index that the writer was not idle. */
let requests = 0

function runWriterThread(): void {
  port = parentPort!
  const { path } = workerData as { path: string }
  try {
    writer = new SqliteChainWriter(path)
    port.postMessage({ id: 0, ok: true, value: null } satisfies WriterReply)
  } catch (error) {
    port.postMessage({ id: 0, ok: false, error: describe(error) } satisfies WriterReply)
    port.close()
    return
  }
  port.on('message', (request: WriterRequest) => {
    queue.push(request)
    requests++
    if (queue.length === 1) setImmediate(drain)
  })
}

/**
 * Handles what queued up, in order. Appends that queued while the last commit synced go into
 * one transaction together: one fsync for all of them.
 */
function drain(): void {
  while (queue.length > 0) {
    if (queue[0]!.op !== 'append') {
      handle(queue.shift()!)
      continue
    }
    let n = 1
    while (n < queue.length && queue[n]!.op === 'append') n++
    appendAll(queue.splice(0, n) as Array<Extract<WriterRequest, { op: 'append' }>>)
  }
  scheduleIndexing()
}

function appendAll(requests: Array<Extract<WriterRequest, { op: 'append' }>>): void {
  let outcomes: GroupOutcome[]
  try {
    outcomes = writer.appendAll(requests.map((r) => ({ group: decodeGroup(r.group), receivedAt: r.receivedAt })))
  } catch (error) {
    for (const r of requests) port.postMessage({ id: r.id, ok: false, error: describe(error) } satisfies WriterReply)
    return
  }
  for (let i = 0; i < requests.length; i++) {
    const outcome = outcomes[i]!
    const hashes = new Uint8Array(outcome.hashes)
    port.postMessage({ id: requests[i]!.id, ok: true, value: { ...outcome, hashes } } satisfies WriterReply, [hashes.buffer])
  }
}

function handle(request: WriterRequest): void {
  try {
    let value: unknown = null
    switch (request.op) {
      case 'append':
        appendAll([request])
        return
      case 'checkpoint': writer.addCheckpoint(request.checkpoint); break
      case 'purge': value = writer.purge(request.anchor, request.holdsPlaced); break
      case 'cursor': writer.setCursor(request.name, request.seq); break
      case 'index': value = writer.indexSearch(request.limit); break
      case 'close':
        writer.close()
        port.postMessage({ id: request.id, ok: true, value: null } satisfies WriterReply)
        port.close()
        return
    }
    port.postMessage({ id: request.id, ok: true, value } satisfies WriterReply)
  } catch (error) {
    port.postMessage({ id: request.id, ok: false, error: describe(error) } satisfies WriterReply)
  }
}

/**
 * The full-text index follows when the writer has been idle for IDLE_MS, so that producers
 * sending batch after batch never wait behind a slice; and between commits anyway once it
 * lags MAX_LAG events, so that the catch-up a search does stays bounded.
 */
function scheduleIndexing(): void {
  if (indexing || queue.length > 0) return
  indexing = true
  const since = requests
  setTimeout(() => {
    indexing = false
    if (queue.length > 0) return
    if (requests !== since && writer.searchLag() < MAX_LAG) return scheduleIndexing()
    try {
      if (writer.indexSearch(INDEX_SLICE) > 0) scheduleIndexing()
    } catch {
      // The next commit retries; a search catches the index up itself.
    }
  }, writer.searchLag() >= MAX_LAG ? 0 : IDLE_MS)
}

function describe(error: unknown): { code?: string; statusCode?: number; message: string } {
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown }
  return {
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
    ...(typeof e?.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    message: typeof e?.message === 'string' ? e.message : String(error),
  }
}

// Deferred a turn: in the bundle, every module must finish evaluating first.
if (!isMainThread && (workerData as { tradetrailThread?: string } | null)?.tradetrailThread === WRITER_THREAD) setImmediate(runWriterThread)
