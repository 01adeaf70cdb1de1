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
  try {
    return write(value, 0)
  } catch (error) {
    if (error !== INVALID) throw error
    // Rare: walk again, slowly, to say where and why. The fast path carries no path at all.
    throw locate(value, '', 0) ?? new CanonicalJsonError('', 'cannot be represented as JSON')
  }
}

/** Thrown by write() for any value JSON cannot carry; canonicalize() turns it into a CanonicalJsonError. */
const INVALID = Symbol('invalid JSON value')

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw INVALID
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw INVALID
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object': {
      if (value === null) return 'null'
      if (depth === MAX_DEPTH) throw INVALID
      if (Array.isArray(value)) {
        let out = '['
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + write(value[i], depth + 1)
        return out + ']'
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) throw INVALID
      const keys = Object.keys(value).sort()
      let out = '{'
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!
        if (!key.isWellFormed()) throw INVALID
        out += (i === 0 ? '' : ',') + JSON.stringify(key) + ':' + write((value as Record<string, unknown>)[key], depth + 1)
      }
      return out + '}'
    }
    default:
      throw INVALID
  }
}

/** The first value in canonical order that write() refuses, with its JSON pointer. */
function locate(value: unknown, path: string, depth: number): CanonicalJsonError | undefined {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? undefined : new CanonicalJsonError(path, 'contains a lone UTF-16 surrogate')
    case 'number':
      return Number.isFinite(value) ? undefined : new CanonicalJsonError(path, `is ${value}, which JSON cannot represent`)
    case 'boolean':
      return undefined
    case 'object': {
      if (value === null) return undefined
      if (depth === MAX_DEPTH) return new CanonicalJsonError(path, `is nested more than ${MAX_DEPTH} levels deep`)
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const found = locate(value[i], `${path}/${i}`, depth + 1)
          if (found) return found
        }
        return undefined
      }
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) return new CanonicalJsonError(path, 'is not a plain JSON object')
      for (const key of Object.keys(value).sort()) {
        if (!key.isWellFormed()) return new CanonicalJsonError(path, 'has a key with a lone UTF-16 surrogate')
        const found = locate((value as Record<string, unknown>)[key], `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`, depth + 1)
        if (found) return found
      }
      return undefined
    }
    default:
      return new CanonicalJsonError(path, `is ${typeof value}, which JSON cannot represent`)
  }
}
