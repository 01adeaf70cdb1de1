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

/** The canonical JSON text of a JSON value. */
export function canonicalize(value: unknown): string {
  return write(value, '')
}

function write(value: unknown, path: string): string {
  switch (typeof value) {
    case 'string':
      if (!value.isWellFormed()) throw new CanonicalJsonError(path, 'contains a lone UTF-16 surrogate')
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(path, `is ${value}, which JSON cannot represent`)
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object': {
      if (value === null) return 'null'
      if (Array.isArray(value)) {
        let out = '['
        for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + write(value[i], `${path}/${i}`)
        return out + ']'
      }
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw new CanonicalJsonError(path, 'is not a plain JSON object')
      }
      const keys = Object.keys(value).sort()
      let out = '{'
      for (let i = 0; i < keys.length; i++) {
        const key = keys[i]!
        if (!key.isWellFormed()) throw new CanonicalJsonError(path, 'has a key with a lone UTF-16 surrogate')
        out += (i === 0 ? '' : ',') + JSON.stringify(key) + ':' + write((value as Record<string, unknown>)[key], `${path}/${escapePointer(key)}`)
      }
      return out + '}'
    }
    default:
      throw new CanonicalJsonError(path, `is ${typeof value}, which JSON cannot represent`)
  }
}

function escapePointer(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1')
}
