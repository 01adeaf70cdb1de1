/**
 * RFC 8785 JSON Canonicalization Scheme (JCS): object keys sorted by UTF-16 code
 * units, no whitespace, numbers in ECMAScript shortest form, strings escaped as
 * ECMAScript's JSON.stringify does. This is the byte form the chain hash covers;
 * the known-answer vectors in ../test-vectors/canonical-json.json pin it down so
 * that other implementations (a verifier in another language, the PostgreSQL
 * adapter) can prove they agree.
 */

/** Thrown for values JSON cannot carry canonically (NaN, Infinity, lone surrogates, undefined, …). */
export class CanonicalJsonError extends Error {
  constructor(readonly path: string, readonly reason: string) {
    super(`${path || '/'} ${reason}`)
    this.name = 'CanonicalJsonError'
  }
}

/** Deepest nesting accepted: far beyond any real event, well within the stack. */
export const MAX_DEPTH = 64

/** The canonical JSON text of a JSON value. */
export function canonicalize(value: unknown): string {
  return write(value, 0)
}

// The error path is built while unwinding, so the common case allocates no path strings.
function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw new CanonicalJsonError('', 'contains a lone UTF-16 surrogate')
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError('', `is ${value}, which JSON cannot represent`)
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object': {
      if (value === null) return 'null'
      if (depth === MAX_DEPTH) throw new CanonicalJsonError('', `is nested more than ${MAX_DEPTH} levels deep`)
      if (Array.isArray(value)) {
        let out = '['
        for (let i = 0; i < value.length; i++) {
          try {
            out += (i === 0 ? '' : ',') + write(value[i], depth + 1)
          } catch (error) {
            throw within(error, String(i))
          }
        }
        return out + ']'
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) throw new CanonicalJsonError('', 'is not a plain JSON object')
      const keys = Object.keys(value).sort()
      let out = '{'
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!
        if (!key.isWellFormed()) throw new CanonicalJsonError('', 'has a key with a lone UTF-16 surrogate')
        try {
          out += (i === 0 ? '' : ',') + JSON.stringify(key) + ':' + write((value as Record<string, unknown>)[key], depth + 1)
        } catch (error) {
          throw within(error, key)
        }
      }
      return out + '}'
    }
    default:
      throw new CanonicalJsonError('', `is ${typeof value}, which JSON cannot represent`)
  }
}

/** The same error, one level deeper: its JSON pointer gains `key` in front. */
function within(error: unknown, key: string): unknown {
  if (!(error instanceof CanonicalJsonError)) return error
  return new CanonicalJsonError(`/${key.replaceAll('~', '~0').replaceAll('/', '~1')}${error.path}`, error.reason)
}
