import assert from 'node:assert/strict'
import { ERR_STORE_FULL } from '@tradetrail/core'
import { test } from 'node:test'
import type { FastifyError } from 'fastify'
import { ERR_AUTH_MISSING } from '@tradetrail/core'
import { toTradetrailError } from '../../src/collector/http-errors.ts'

const fastifyError = (code: string, statusCode?: number, message = 'x'): FastifyError => Object.assign(new Error(message), { code, statusCode }) as FastifyError

test('registry errors pass through unchanged', () => {
  const error = ERR_AUTH_MISSING.create()
  assert.equal(toTradetrailError(error as unknown as FastifyError, 100, 'r1'), error)
})

test("Fastify's own errors become registry codes", () => {
  const cases: Array<[string, number | undefined, string, number]> = [
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 'TT_ERR_BODY_TOO_LARGE', 413],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 'TT_ERR_UNSUPPORTED_MEDIA', 415],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 'TT_ERR_BODY_INVALID', 400],
    ['Z_DATA_ERROR', undefined, 'TT_ERR_BODY_INVALID', 400],
    ['FST_ERR_SOMETHING_NEW', 400, 'TT_ERR_BODY_INVALID', 400],
  ]
  for (const [code, status, expected, expectedStatus] of cases) {
    const tt = toTradetrailError(fastifyError(code, status), 4096, 'r1')
    assert.deepEqual([tt.code, tt.statusCode], [expected, expectedStatus], code)
  }
  assert.match(toTradetrailError(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 4096, 'r1').message, /4096 bytes/)
})

test('the store\'s own errors pass as they are (503: nothing stored, retry), anything else is a 500 naming the request', () => {
  const full = ERR_STORE_FULL.create()
  assert.equal(toTradetrailError(full as never, 1, 'r1'), full)
  const internal = toTradetrailError(fastifyError('EWHATEVER', undefined, 'secret detail'), 1, 'req-42')
  assert.deepEqual([internal.code, internal.statusCode], ['TT_ERR_COLLECTOR_INTERNAL', 500])
  assert.match(internal.message, /req-42/)
  assert.doesNotMatch(internal.message, /secret detail/, 'internals stay in the log, not the answer')
})

test('an OS condition met on the trail\'s files is answered with its store code (503, nothing stored, retry), never as a bug', () => {
  const system = (code: string): FastifyError => Object.assign(new Error(`${code}: failed, open '/var/lib/tradetrail/keys'`), { code, errno: -1, syscall: 'open' }) as unknown as FastifyError
  const cases: Array<[string, string]> = [['ENOSPC', 'TT_ERR_STORE_FULL'], ['EROFS', 'TT_ERR_STORE_IO'], ['EACCES', 'TT_ERR_STORE_IO'], ['ENOENT', 'TT_ERR_STORE_IO'], ['EISDIR', 'TT_ERR_STORE_IO']]
  for (const [code, expected] of cases) {
    const tt = toTradetrailError(system(code), 1, 'r1')
    assert.deepEqual([tt.code, tt.statusCode], [expected, 503], code)
    assert.doesNotMatch(tt.message, /\/var\/lib/, 'the server\'s paths stay in the log')
  }
})
