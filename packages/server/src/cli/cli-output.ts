/** How the CLI writes: human lines by default, JSON with --json, streams with backpressure. */
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import { finished } from 'node:stream/promises'
import { type StoredEvent, fileError } from '@tradetrail/core'

/** How messages name standard output. */
export const STDOUT = 'standard output'

/**
 * Writes and waits for the stream to drain when it asks to, so exports of any size stay in
 * bounded memory. A stream that failed (a full disk) throws its error instead of waiting for a
 * drain that never comes.
 */
export async function write(out: Writable, text: string): Promise<void> {
  if (out.errored) throw out.errored
  if (!out.write(text)) await once(out, 'drain')
}

export interface Output {
  write(text: string): Promise<void>
  /** Ends a file and waits until every byte is written. */
  done(): Promise<void>
}

/**
 * Standard output, or a file opened before any work is done (so a bad path fails fast). A
 * failure of the file is a TT_ERR_FILE_* error naming it; standard output's are main's.
 */
export async function openOutput(path: string | undefined): Promise<Output> {
  if (path === undefined) return { write: (text) => write(process.stdout, text), done: async () => {} }
  const failed = (error: unknown): unknown => fileError(error, 'write', path) ?? error
  const out = createWriteStream(path, { flags: 'w' })
  await once(out, 'open').catch((error: unknown) => { throw failed(error) })
  return {
    write: (text) => write(out, text).catch((error: unknown) => { throw failed(error) }),
    done: async () => {
      out.end()
      await finished(out).catch((error: unknown) => { throw failed(error) })
    },
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n')
}

/** One line per event: `#12 2025-12-17T21:00:03Z info  MyBot trade_opened  Opened long EURUSD  {"symbol":"EURUSD"}`. */
export function formatEvent(e: StoredEvent): string {
  const parts = [`#${e.seq}`, e.ts, e.severity.padEnd(8), e.project, e.type, ' ' + e.message]
  if (e.source !== undefined) parts.push(`[${e.source}]`)
  if (e.data !== undefined) parts.push(JSON.stringify(e.data))
  if (e.flags !== undefined) parts.push(`!${e.flags.join(',')}`)
  return parts.join(' ')
}
