import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { parseSearch } from '../src/search-query.ts'

const word = (w: string) => ({ words: [w], prefix: false })

test('words are separate terms', () => {
  assert.deepEqual(parseSearch('EURUSD filled'), [word('EURUSD'), word('filled')])
  assert.deepEqual(parseSearch('  EURUSD \t\n filled  '), [word('EURUSD'), word('filled')])
})

test('double quotes make a phrase', () => {
  assert.deepEqual(parseSearch('"order filled" EURUSD'), [{ words: ['order', 'filled'], prefix: false }, word('EURUSD')])
  assert.deepEqual(parseSearch('kill "switch   engaged"'), [word('kill'), { words: ['switch', 'engaged'], prefix: false }])
  // An unclosed quote runs to the end.
  assert.deepEqual(parseSearch('"feed stale'), [{ words: ['feed', 'stale'], prefix: false }])
  // Quotes glued to a word still start a phrase.
  assert.deepEqual(parseSearch('foo"bar baz"'), [word('foo'), { words: ['bar', 'baz'], prefix: false }])
})

test('a trailing * makes a prefix; inside a phrase it is just text', () => {
  assert.deepEqual(parseSearch('EUR*'), [{ words: ['EUR'], prefix: true }])
  assert.deepEqual(parseSearch('order_fil* EUR'), [{ words: ['order', 'fil'], prefix: true }, word('EUR')])
  assert.deepEqual(parseSearch('"EUR*"'), [{ words: ['EUR'], prefix: false }])
  assert.deepEqual(parseSearch('EU*R'), [{ words: ['EU', 'R'], prefix: false }])
  assert.deepEqual(parseSearch('*'), [])
})

test('punctuation-only input gives no terms', () => {
  for (const q of ['', '   ', '!!!', '--- ... ;;;', '"', '""', '" "', '* ** ***', '()[]{}', '- + ~ ^ : ?']) {
    assert.deepEqual(parseSearch(q), [], JSON.stringify(q))
  }
})

test('a token the tokenizer splits is one multi-word term (a phrase of its parts)', () => {
  assert.deepEqual(parseSearch('CONN_TIMEOUT'), [{ words: ['CONN', 'TIMEOUT'], prefix: false }])
  assert.deepEqual(parseSearch('1.0850'), [{ words: ['1', '0850'], prefix: false }])
  assert.deepEqual(parseSearch('auto_repair_system'), [{ words: ['auto', 'repair', 'system'], prefix: false }])
})

test('query syntax of the databases is plain text here', () => {
  assert.deepEqual(parseSearch('a OR b'), [word('a'), word('OR'), word('b')])
  assert.deepEqual(parseSearch('-error NEAR(x)'), [word('error'), { words: ['NEAR', 'x'], prefix: false }])
  assert.deepEqual(parseSearch("it's"), [{ words: ['it', 's'], prefix: false }])
  assert.deepEqual(parseSearch('col:value'), [{ words: ['col', 'value'], prefix: false }])
})

test('letters and digits of every script are words', () => {
  assert.deepEqual(parseSearch('annulé 注文 Zoë'), [word('annulé'), word('注文'), word('Zoë')])
  assert.deepEqual(parseSearch('cafe\u0301'), [word('cafe\u0301')], 'a combining mark stays in its word')
  assert.deepEqual(parseSearch('profit 😀 loss'), [word('profit'), word('loss')])
})

test('every term has at least one word, and words hold only letters, marks and digits', () => {
  fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', 'Z', '9', ' ', '"', '*', '_', '.', '-', 'é', '😀', '(', ':'), maxLength: 30 }), (q) => {
    for (const term of parseSearch(q)) {
      assert.ok(term.words.length > 0)
      for (const w of term.words) assert.match(w, /^[\p{L}\p{N}\p{M}\p{Co}]+$/u)
    }
  }), { numRuns: 500 })
})
