/**
 * The options every sink takes for all of its events (`source`, `actor`, `metadata`), checked
 * once when the sink is built: a bad one is reported and left out, never thrown.
 */
import { LIMITS, canonicalize, isLabelTooLong } from '@tradetrail/core'

export interface EventDefaultOptions {
  source?: string
  actor?: string
  metadata?: Record<string, unknown>
}

/** `options`' defaults as they will be used; each bad one goes to `bad(option, reason)` instead. */
export function checkEventDefaults(options: EventDefaultOptions, bad: (option: string, reason: string) => void): EventDefaultOptions {
  const label = (name: 'source' | 'actor'): string | undefined => {
    const value = options[name]
    if (value === undefined) return undefined
    if (typeof value === 'string' && !isLabelTooLong(value) && value.isWellFormed()) return value
    bad(name, `must be a string of at most ${LIMITS.labelChars} characters; events get no default ${name}`)
    return undefined
  }
  let metadata: Record<string, unknown> | undefined
  if (options.metadata !== undefined) {
    try {
      // A snapshot: later changes to the caller's object do not change what is recorded.
      const copy: unknown = JSON.parse(JSON.stringify(options.metadata) ?? 'null')
      if (typeof copy !== 'object' || copy === null || Array.isArray(copy)) throw new TypeError('it is not an object')
      metadata = copy as Record<string, unknown>
      const bytes = Buffer.byteLength(canonicalize(metadata))
      if (bytes > LIMITS.metadataBytes) throw new RangeError(`it is ${bytes} bytes as JSON, over ${LIMITS.metadataBytes}`)
    } catch (error) {
      bad('metadata', `must be a JSON object (${(error as Error).message}); events get no default metadata`)
      metadata = undefined
    }
  }
  return { source: label('source'), actor: label('actor'), metadata }
}
