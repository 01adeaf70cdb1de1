import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import fc from 'fast-check'
import { CanonicalJsonError, canonicalize } from '../src/canonical-json.ts'

interface Vector { name: string; input: string; canonical: string }
const vectors: Vector[] = JSON.parse(readFileSync(new URL('../test-vectors/canonical-json.json', import.meta.url), 'utf8'))

test('the known-answer vectors are there (RFC 8785 samples included)', () => {
  assert.ok(vectors.length >= 40, `only ${vectors.length} vectors`)
  const names = vectors.map((v) => v.name)
  assert.equal(new Set(names).size, names.length, 'vector names are unique')
  assert.ok(names.includes('rfc8785-3.2.2-sample'))
  assert.ok(names.includes('rfc8785-3.2.3-key-sorting'))
})

for (const v of vectors) {
  test(`vector ${v.name}`, () => {
    assert.equal(canonicalize(JSON.parse(v.input)), v.canonical)
  })
}

test('canonical text is a fixed point: canonicalizing it again changes nothing', () => {
  for (const v of vectors) assert.equal(canonicalize(JSON.parse(v.canonical)), v.canonical, v.name)
})

test('any JSON value survives the round trip and canonical text is idempotent', () => {
  fc.assert(fc.property(fc.jsonValue(), (value) => {
    const text = canonicalize(value)
    const back = JSON.parse(text)
    // JSON has no -0; everything else comes back as it went in.
    assert.deepEqual(back, JSON.parse(JSON.stringify(value)))
    assert.equal(canonicalize(back), text)
  }), { numRuns: 300 })
})

// Keys whose UTF-16 order and code-point order differ (BMP above the surrogates vs astral).
const keyString = fc.string({ unit: fc.constantFrom('a', 'B', '1', '~', '/', '\u00e9', '\u20ac', '\ue000', '\uffff', '\u{1F600}', '\u{10FFFF}'), maxLength: 4 })

test('key order does not matter, array order does', () => {
  fc.assert(fc.property(fc.dictionary(keyString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 8 }), (obj) => {
    const reversed = Object.fromEntries(Object.entries(obj).reverse())
    const text = canonicalize(reversed)
    assert.equal(text, canonicalize(obj))
    // Top-level keys come out in UTF-16 code unit order (compared here as UTF-16BE bytes).
    const utf16be = (k: string): Buffer => Buffer.from(k, 'utf16le').swap16()
    const sorted = Object.keys(obj).sort((x, y) => Buffer.compare(utf16be(x), utf16be(y)))
    assert.equal(text, '{' + sorted.map((k) => JSON.stringify(k) + ':' + canonicalize(obj[k])).join(',') + '}')
  }), { numRuns: 150 })
  assert.notEqual(canonicalize([1, 2]), canonicalize([2, 1]))
})

test('an object without a prototype is a plain JSON object', () => {
  const o = Object.create(null) as Record<string, unknown>
  o.b = 1
  o.a = [true]
  assert.equal(canonicalize(o), '{"a":[true],"b":1}')
})

/** Asserts that canonicalize throws a CanonicalJsonError at `path` whose message mentions `reason`. */
function rejects(value: unknown, path: string, reason: RegExp): void {
  assert.throws(() => canonicalize(value), (error: unknown) => {
    assert.ok(error instanceof CanonicalJsonError, `expected CanonicalJsonError, got ${String(error)}`)
    assert.equal(error.path, path)
    assert.match(error.message, reason)
    assert.ok(error.message.startsWith(path || '/'), `message "${error.message}" starts with the path`)
    return true
  })
}

test('numbers JSON cannot carry are rejected with their path', () => {
  rejects(NaN, '', /NaN/)
  rejects({ a: NaN }, '/a', /NaN/)
  rejects({ a: [1, Infinity] }, '/a/1', /Infinity/)
  rejects([{ x: -Infinity }], '/0/x', /-Infinity/)
})

test('undefined, functions, symbols and bigints are rejected with their path', () => {
  rejects(undefined, '', /undefined/)
  rejects({ a: { b: undefined } }, '/a/b', /undefined/)
  rejects([1, undefined], '/1', /undefined/)
  // A hole in a sparse array reads as undefined.
  rejects([1, , 3], '/1', /undefined/)
  rejects({ f: () => 1 }, '/f', /function/)
  rejects({ s: Symbol('x') }, '/s', /symbol/)
  rejects({ n: 10n }, '/n', /bigint/)
})

test('lone surrogates are rejected in values and in keys', () => {
  rejects('\ud800', '', /lone UTF-16 surrogate/)
  rejects({ a: ['ok', 'x\udc00y'] }, '/a/1', /lone UTF-16 surrogate/)
  rejects({ a: { ['k\ud83d']: 1 } }, '/a', /key with a lone UTF-16 surrogate/)
  // A well-formed pair is fine, in either place.
  assert.equal(canonicalize({ '\ud83d\ude00': '\ud83d\ude00' }), '{"😀":"😀"}')
})

test('objects that are not plain JSON objects are rejected with their path', () => {
  class Price { value = 1 }
  rejects({ at: new Date(0) }, '/at', /not a plain JSON object/)
  rejects({ m: new Map([['a', 1]]) }, '/m', /not a plain JSON object/)
  rejects({ s: new Set([1]) }, '/s', /not a plain JSON object/)
  rejects([new Price()], '/0', /not a plain JSON object/)
  rejects({ b: new Uint8Array(2) }, '/b', /not a plain JSON object/)
  rejects(new Date(0), '', /not a plain JSON object/)
})

test('paths are JSON pointers: "~" and "/" in keys are escaped', () => {
  rejects({ 'a/b': { 'c~d': NaN } }, '/a~1b/c~0d', /NaN/)
})

test('toJSON is not consulted: canonical JSON is over the data, not a custom view of it', () => {
  rejects({ a: { toJSON: () => 'x' } }, '/a/toJSON', /function/)
})
