import assert from 'node:assert/strict'
import { test } from 'node:test'
import { filtersFromSearch, filtersToSearch, highlight, tokenFromFragment } from '../src/view.ts'

test('a view travels in the query string: filters only, empty ones left out, round trip', () => {
  const search = filtersToSearch({ project: 'A B', severity: 'error', q: '"kill switch" eur*', type: '' })
  assert.equal(search, '?project=A+B&severity=error&q=%22kill+switch%22+eur*')
  assert.deepEqual(filtersFromSearch(search + '&token=tt_x&since=%20'), { project: 'A B', severity: 'error', q: '"kill switch" eur*' })
  assert.equal(filtersToSearch({}), '')
})

test('the sign-in fragment gives the token and what else the fragment held', () => {
  assert.deepEqual(tokenFromFragment('#token=tt_abc_def'), { token: 'tt_abc_def', rest: '' })
  assert.deepEqual(tokenFromFragment('#x=1&token=tt_abc'), { token: 'tt_abc', rest: '#x=1' })
  assert.deepEqual(tokenFromFragment(''), { token: undefined, rest: '' })
  assert.deepEqual(tokenFromFragment('#token='), { token: undefined, rest: '' })
})

test('highlight marks the words a search matches, as the index folds them', () => {
  const marked = (text: string, q?: string): string => highlight(text, q).map((p) => (p.match ? `[${p.text}]` : p.text)).join('')
  assert.equal(marked('EURUSD order rejected', 'eurusd'), '[EURUSD] order rejected')
  assert.equal(marked('Émission EURGBP, eur', 'emission EUR*'), '[Émission] [EURGBP], [eur]')
  assert.equal(marked('kill switch on; switch off', '"kill switch"'), '[kill] [switch] on; [switch] off')
  assert.equal(marked('<img src=x>', 'img'), '<[img] src=x>')
  assert.equal(marked('nothing here', undefined), 'nothing here')
  assert.equal(marked('nothing here', '***'), 'nothing here')
})
