/** How every CLI command opens the trail: the one configuration, the one composition root. */
import type { Command } from 'commander'
import { openTrail, type Trail, type TrailRole } from '../trail/open-trail.ts'
import type { ConfigSources } from '../config.ts'
import { type GlobalOptions, globalOptions } from './cli-options.ts'

/**
 * Opens the trail of the command's configuration (with the command's own setting `flags`) for
 * `role` (`reader` for commands that only read: they never create a data directory), runs `fn`,
 * and always closes it.
 */
export async function withTrail<T>(command: Command, role: Exclude<TrailRole, 'collector'>, fn: (trail: Trail, options: GlobalOptions) => Promise<T>,
  flags?: ConfigSources['flags']): Promise<T> {
  return withLazyTrail(command, role, (trail, options) => trail().then((t) => fn(t, options)), flags)
}

/**
 * Like withTrail, but opens the trail only when `fn` first asks for it: input that turns out
 * bad before then leaves no data directory, key or database behind.
 */
export async function withLazyTrail<T>(command: Command, role: Exclude<TrailRole, 'collector'>, fn: (trail: () => Promise<Trail>, options: GlobalOptions) => Promise<T>,
  flags?: ConfigSources['flags']): Promise<T> {
  const options = globalOptions(command, flags)
  let opened: Promise<Trail> | undefined
  try {
    return await fn(() => (opened ??= openTrail(options.config, { role })), options)
  } finally {
    if (opened !== undefined) await (await opened.catch(() => undefined))?.close()
  }
}
