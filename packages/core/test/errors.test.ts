import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as errors from '../src/errors.ts'
import { TradetrailError, listErrorCodes } from '../src/errors.ts'

/** Every exported error definition (ERR_*). */
const definitions = Object.entries(errors)
  .filter(([name]) => name.startsWith('ERR_'))
  .map(([name, def]) => [name, def as errors.ErrorDefinition<unknown[]>] as const)

test('the registry lists every exported error definition, and nothing else', () => {
  assert.ok(definitions.length >= 20, `only ${definitions.length} definitions exported`)
  const listed = listErrorCodes().map((e) => e.code).sort()
  assert.deepEqual(definitions.map(([, d]) => d.code).sort(), listed)
})

test('codes are unique', () => {
  const codes = listErrorCodes().map((e) => e.code)
  assert.equal(new Set(codes).size, codes.length)
})

test('codes read TT_ERR_<AREA>_<WHAT> and match the name they are exported under', () => {
  for (const [name, def] of definitions) {
    assert.match(def.code, /^TT_ERR_[A-Z_]+$/)
    assert.doesNotMatch(def.code, /_$|__/)
    assert.equal(def.code, 'TT_' + name)
  }
})

test('statuses are client (4xx) or server (5xx) errors', () => {
  for (const { code, statusCode } of listErrorCodes()) {
    assert.ok(Number.isInteger(statusCode) && statusCode >= 400 && statusCode <= 599, `${code}: ${statusCode}`)
  }
  // Input problems are the client's to fix.
  for (const { code, statusCode } of listErrorCodes()) {
    if (/^TT_ERR_(EVENT|BATCH|QUERY)_/.test(code)) assert.ok(statusCode < 500, code)
  }
})

test('create() gives a TradetrailError with the code, status and a filled-in message', () => {
  const e = errors.ERR_EVENT_MISSING_FIELD.create('project')
  assert.ok(e instanceof TradetrailError)
  assert.ok(e instanceof Error)
  assert.equal(e.code, 'TT_ERR_EVENT_MISSING_FIELD')
  assert.equal(e.statusCode, 400)
  assert.equal(e.message, 'required field "project" is missing')
  assert.equal(e.problems, undefined)
  assert.deepEqual(e.toJSON(), { code: 'TT_ERR_EVENT_MISSING_FIELD', message: 'required field "project" is missing' })
  assert.match(errors.ERR_BATCH_TOO_LARGE.create(1200, 1000).message, /1200 events; the limit is 1000/)
})

test('withProblems() attaches the problems, and they are part of the JSON answer', () => {
  const problems = [{ index: 2, path: '/severity', code: 'TT_ERR_EVENT_BAD_VALUE', message: '"severity" must be one of …' }]
  const e = errors.ERR_EVENT_INVALID.withProblems(problems, 1, 'event 2: bad severity')
  assert.deepEqual(e.problems, problems)
  assert.deepEqual(JSON.parse(JSON.stringify(e)), { code: 'TT_ERR_EVENT_INVALID', message: 'The batch was rejected whole: event 2: bad severity', problems })
  assert.match(errors.ERR_EVENT_INVALID.create(3, 'x').message, /3 problems, first: x/)
})

test('is() recognises its own errors only', () => {
  const e = errors.ERR_EVENT_NOT_FOUND.create('42')
  assert.ok(errors.ERR_EVENT_NOT_FOUND.is(e))
  assert.ok(!errors.ERR_TOKEN_NOT_FOUND.is(e))
  assert.ok(!errors.ERR_QUERY_INVALID.is(e))
  assert.ok(!errors.ERR_EVENT_NOT_FOUND.is(new Error('event 42 was not found')))
  assert.ok(!errors.ERR_EVENT_NOT_FOUND.is({ code: 'TT_ERR_EVENT_NOT_FOUND' }))
})
