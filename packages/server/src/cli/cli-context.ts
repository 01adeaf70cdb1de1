import type { Command } from 'commander'
import { LocalTrail } from '../local-trail.ts'
import { type GlobalOptions, globalOptions } from './cli-options.ts'

/** Opens the trail of the command's data directory, runs `fn`, and always closes it. */
export async function withLocalTrail<T>(command: Command, fn: (trail: LocalTrail, options: GlobalOptions) => Promise<T>): Promise<T> {
  return withLazyTrail(command, (trail, options) => fn(trail(), options))
}

/**
 * Like withLocalTrail, but opens the trail only when `fn` first asks for it: input that
 * turns out bad before then leaves no data directory, key or database behind.
 */
export async function withLazyTrail<T>(command: Command, fn: (trail: () => LocalTrail, options: GlobalOptions) => Promise<T>): Promise<T> {
  const options = globalOptions(command)
  let trail: LocalTrail | undefined
  try {
    return await fn(() => (trail ??= new LocalTrail({ dataDir: options.dataDir, strict: options.strict })), options)
  } finally {
    await trail?.close()
  }
}
