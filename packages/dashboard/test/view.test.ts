import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { StoredEvent } from '@tradetrail/core/browser'
import { MAX_MINUTES, MinuteCounts } from '../src/minute-counts.ts'
import { MAX_WAIT_MS, replayOffsets } from '../src/replay-offsets.ts'
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

test('events per minute by severity: minutes from the first to the last, empty ones as 0; rows that leave are uncounted', () => {
  const at = (ts: string, severity: string, seq: number) => ({ ts, severity, seq }) as unknown as StoredEvent
  const events = [at('2026-01-02T10:00:05.000001Z', 'info', 1), at('2026-01-02T10:00:59.999999Z', 'error', 2), at('2026-01-02T10:03:00Z', 'info', 3)]
  const counts = new MinuteCounts()
  assert.deepEqual(counts.data(), [[], [], [], [], [], [], []])
  counts.add(events)
  const t0 = Date.parse('2026-01-02T10:00:00Z') / 1000
  //                             x                                   debug         info          notice        warning       error         critical
  assert.deepEqual(counts.data(), [[t0, t0 + 60, t0 + 120, t0 + 180], [0, 0, 0, 0], [1, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 0], [0, 0, 0, 0]])
  assert.deepEqual(counts.total(), [['info', 2], ['error', 1]])
  counts.remove(events.slice(0, 2))
  assert.deepEqual(counts.data(), [[t0 + 180], [0], [1], [0], [0], [0], [0]])
  assert.deepEqual(counts.total(), [['info', 1]])
  // A day at most is drawn: an old minute is counted but not spread over a year of zeros.
  counts.add([at('2025-01-02T10:00:00Z', 'critical', 4)])
  assert.equal(counts.data()[0]!.length, 1)
  assert.deepEqual(counts.total(), [['info', 1], ['critical', 1]])
  assert.equal(MAX_MINUTES, 1440)
})

test('playback: each event is due after the one before by their ts difference over the speed, a quiet stretch shortened', () => {
  const ts = (...values: string[]) => values.map((v) => ({ ts: v }))
  assert.deepEqual(replayOffsets(ts('2026-01-02T10:00:00Z', '2026-01-02T10:01:00Z', '2026-01-02T10:01:30Z'), 60), [0, 1000, 1500])
  // Out of ts order (seq order is replayed): no wait backwards.
  assert.deepEqual(replayOffsets(ts('2026-01-02T10:00:00Z', '2026-01-02T09:00:00Z', '2026-01-02T10:00:01Z'), 1), [0, 0, MAX_WAIT_MS])
  assert.deepEqual(replayOffsets(ts('2026-01-02T10:00:00Z', '2026-01-03T10:00:00Z'), 3600), [0, MAX_WAIT_MS])
  assert.deepEqual(replayOffsets([], 10), [])
})
