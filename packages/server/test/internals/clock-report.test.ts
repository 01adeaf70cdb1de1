import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ERR_HEADER_INVALID } from '@tradetrail/core'
import { CLOCK_REPORT_LIMIT_US, isClockSkewed, parseClockReport } from '../../src/collector/clock-report.ts'

const headers = (offset?: string, rtt?: string): Record<string, string | undefined> =>
  ({ 'tradetrail-clock-offset-us': offset, 'tradetrail-clock-rtt-us': rtt })

test('no clock headers is no report; both give the integers', () => {
  assert.equal(parseClockReport({}), undefined)
  assert.equal(parseClockReport(headers()), undefined)
  assert.deepEqual(parseClockReport(headers('-1250', '850')), { offsetMicros: -1250, rttMicros: 850 })
  assert.deepEqual(parseClockReport(headers('0', '0')), { offsetMicros: 0, rttMicros: 0 })
  assert.ok(Object.is(parseClockReport(headers('-0', '1'))!.offsetMicros, 0), '-0 is read as 0')
  assert.deepEqual(parseClockReport(headers(String(-CLOCK_REPORT_LIMIT_US), String(CLOCK_REPORT_LIMIT_US))), { offsetMicros: -1e13, rttMicros: 1e13 })
  assert.deepEqual(parseClockReport(headers('007', '010')), { offsetMicros: 7, rttMicros: 10 }, 'leading zeros are still base 10')
})

test('a malformed value or half a pair is TT_ERR_HEADER_INVALID naming the header and a valid value', () => {
  const cases: Array<[string | undefined, string | undefined, RegExp]> = [
    ['12.5', '100', /Tradetrail-Clock-Offset-Us must be a signed base-10 integer .*e\.g\. -1250.*got "12\.5"/],
    ['abc', '100', /Tradetrail-Clock-Offset-Us .*got "abc"/],
    ['', '100', /Tradetrail-Clock-Offset-Us .*got ""/],
    ['0x10', '100', /Tradetrail-Clock-Offset-Us/],
    ['1e3', '100', /Tradetrail-Clock-Offset-Us/],
    ['+5', '100', /Tradetrail-Clock-Offset-Us/],
    ['1, 2', '100', /Tradetrail-Clock-Offset-Us .*got "1, 2"/],
    ['10000000000001', '100', /Tradetrail-Clock-Offset-Us .*at most 10000000000000 in magnitude/],
    ['-10000000000001', '100', /Tradetrail-Clock-Offset-Us/],
    ['9'.repeat(400), '100', /Tradetrail-Clock-Offset-Us/],
    ['5', '-1', /Tradetrail-Clock-Rtt-Us must be a non-negative base-10 integer .*e\.g\. 850.*got "-1"/],
    ['5', '1.5', /Tradetrail-Clock-Rtt-Us/],
    ['5', '10000000000001', /Tradetrail-Clock-Rtt-Us/],
    ['5', undefined, /Tradetrail-Clock-Offset-Us was sent without Tradetrail-Clock-Rtt-Us: send both or neither/],
    [undefined, '5', /Tradetrail-Clock-Rtt-Us was sent without Tradetrail-Clock-Offset-Us: send both or neither/],
  ]
  for (const [offset, rtt, message] of cases) {
    assert.throws(() => parseClockReport(headers(offset, rtt)), (error: Error) => {
      assert.ok(ERR_HEADER_INVALID.is(error), `${offset}/${rtt}: ${error.message}`)
      assert.equal((error as { statusCode?: number }).statusCode, 400)
      assert.match(error.message, message)
      return true
    }, `offset ${offset}, rtt ${rtt}`)
  }
})

test('skew is |offset| strictly above the threshold, and a threshold of 0 never flags', () => {
  const report = (offsetMicros: number) => ({ offsetMicros, rttMicros: 0 })
  assert.equal(isClockSkewed(undefined, 50), false)
  assert.equal(isClockSkewed(report(50_000), 50), false)
  assert.equal(isClockSkewed(report(50_001), 50), true)
  assert.equal(isClockSkewed(report(-50_001), 50), true)
  assert.equal(isClockSkewed(report(1e13), 0), false)
})
