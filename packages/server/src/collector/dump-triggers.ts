/**
 * Seed 002's server dumped its trails when Enter was pressed; the collector does the same, and
 * on SIGUSR2 for one that runs without a terminal: the last 30 hours go to
 * `dumped_audit_trails.json` in the data directory (seed-dump.ts), one dump at a time, and a
 * trigger that arrives while one runs gets one more dump after it, so none is lost.
 */
import { join } from 'node:path'
import type { Clock } from '@tradetrail/core'
import { DUMP_FILE, DUMP_HOURS, writeDumpFile } from '../seed-dump.ts'
import type { Trail } from '../trail/open-trail.ts'

export interface DumpTriggerOptions {
  trail: Trail
  clock: Clock
  /** Where "dumped …" goes (the banner's output). */
  print: (line: string) => void
  /** A failed dump (a full disk, say); the collector keeps serving. */
  onError: (error: unknown, message: string) => void
  /** The terminal to watch for Enter; none when it is not a TTY. */
  stdin?: NodeJS.ReadStream
}

/** Starts watching SIGUSR2 (and Enter on a terminal); the returned function stops it, resolving once a dump under way is done. */
export function watchDumpTriggers(options: DumpTriggerOptions): () => Promise<void> {
  const { trail, clock, print, onError } = options
  const path = join(trail.dataDir, DUMP_FILE)
  let running: Promise<void> | undefined
  let again = false
  const dump = (): void => {
    if (running !== undefined) {
      again = true
      return
    }
    running = writeDumpFile(trail.store, path, { hours: DUMP_HOURS.default, nowMs: clock.nowMicros() / 1000 })
      .then(() => print(`Dumped the last ${DUMP_HOURS.default} hours to ${path}`), (error) => onError(error, `dump to ${path} failed`))
      .finally(() => {
        running = undefined
        if (again) {
          again = false
          dump()
        }
      })
  }
  process.on('SIGUSR2', dump)
  const stdin = options.stdin?.isTTY === true ? options.stdin : undefined
  const onData = (chunk: Buffer | string): void => {
    if (String(chunk).includes('\n') || String(chunk).includes('\r')) dump()
  }
  if (stdin !== undefined) {
    stdin.on('data', onData)
    print(`Press Enter (or send SIGUSR2 to pid ${process.pid}) to dump the last ${DUMP_HOURS.default} hours to ${path}`)
  }
  return async () => {
    again = false
    process.off('SIGUSR2', dump)
    if (stdin !== undefined) {
      stdin.off('data', onData)
      stdin.pause()
    }
    // The dump reads the trail: it ends before the trail is closed.
    while (running !== undefined) await running
  }
}
