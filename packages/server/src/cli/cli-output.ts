/** How the CLI writes: human lines by default, JSON with --json, streams with backpressure. */
import { once } from 'node:events'
import type { Writable } from 'node:stream'
import type { StoredEvent } from '@tradetrail/core'

/** Writes and waits for the stream to drain when it asks to, so exports of any size stay in bounded memory. */
export async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain')
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
