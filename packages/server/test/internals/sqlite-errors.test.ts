import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TradetrailError } from '@tradetrail/core'
import { storeError } from '../../src/stores/sqlite/sqlite-errors.ts'

test('SQLite\'s failures leave the adapter as registry errors: 503, nothing stored, retry', () => {
  const cases: Array<[string, string]> = [
    ['SQLITE_BUSY', 'TT_ERR_STORE_BUSY'], ['SQLITE_BUSY_SNAPSHOT', 'TT_ERR_STORE_BUSY'], ['SQLITE_LOCKED', 'TT_ERR_STORE_BUSY'],
    ['SQLITE_FULL', 'TT_ERR_STORE_FULL'], ['ENOSPC', 'TT_ERR_STORE_FULL'],
    ['SQLITE_IOERR_WRITE', 'TT_ERR_STORE_IO'], ['SQLITE_READONLY', 'TT_ERR_STORE_IO'], ['SQLITE_CANTOPEN', 'TT_ERR_STORE_IO'], ['EACCES', 'TT_ERR_STORE_IO'],
  ]
  for (const [code, expected] of cases) {
    const error = storeError(Object.assign(new Error('raw'), { code })) as TradetrailError
    assert.ok(error instanceof TradetrailError, code)
    assert.deepEqual([error.code, error.statusCode], [expected, 503], code)
    assert.match(error.message, /nothing was stored/, code)
  }
  const other = Object.assign(new Error('constraint'), { code: 'SQLITE_CONSTRAINT_CHECK' })
  assert.equal(storeError(other), other, 'anything else is a bug, passed on as it is')
})
