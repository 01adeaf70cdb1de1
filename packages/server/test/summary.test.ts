/**
 * Seed 000's audit summary: the UTC ranges of a day, an ISO week (Monday to Sunday, also
 * across month and year ends) and a month, and the exact text for a known set of events:
 * totals, failures and errors first, counts by project and type, the recent actions.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { TradetrailError } from '@tradetrail/core'
import { tempDir } from '@tradetrail/test-support'
import type { Trail } from '../src/trail/open-trail.ts'
import { buildSummary, formatSummaryText, resolveDate, summaryRange } from '../src/summary.ts'
import { openTestTrail, writeTrail } from './helpers/trail.ts'

const key = (date: string): string => `${date}T00:00:00.000000000Z`

describe('summaryRange', () => {
  test('a day is midnight to midnight UTC', () => {
    assert.deepEqual(summaryRange('day', '2025-12-17'), { period: 'day', label: '2025-12-17', since: key('2025-12-17'), until: key('2025-12-18') })
    assert.deepEqual(summaryRange('day', '2024-02-29'), { period: 'day', label: '2024-02-29', since: key('2024-02-29'), until: key('2024-03-01') })
    assert.deepEqual(summaryRange('day', '2025-12-31'), { period: 'day', label: '2025-12-31', since: key('2025-12-31'), until: key('2026-01-01') })
  })

  test('every day of an ISO week gives that Monday-to-Sunday week', () => {
    for (const day of ['15', '16', '17', '18', '19', '20', '21']) {
      assert.deepEqual(summaryRange('week', `2025-12-${day}`), { period: 'week', label: '2025-12-15/2025-12-21', since: key('2025-12-15'), until: key('2025-12-22') }, `2025-12-${day}`)
    }
    assert.equal(summaryRange('week', '2025-12-14').label, '2025-12-08/2025-12-14', 'a Sunday ends its week')
    assert.equal(summaryRange('week', '2025-12-22').label, '2025-12-22/2025-12-28', 'a Monday starts one')
  })

  test('a week across a month end', () => {
    assert.deepEqual(summaryRange('week', '2025-10-01'), { period: 'week', label: '2025-09-29/2025-10-05', since: key('2025-09-29'), until: key('2025-10-06') })
    assert.deepEqual(summaryRange('week', '2024-02-29'), { period: 'week', label: '2024-02-26/2024-03-03', since: key('2024-02-26'), until: key('2024-03-04') })
  })

  test('a week across a year end', () => {
    assert.deepEqual(summaryRange('week', '2025-01-01'), { period: 'week', label: '2024-12-30/2025-01-05', since: key('2024-12-30'), until: key('2025-01-06') })
    assert.deepEqual(summaryRange('week', '2026-01-01'), { period: 'week', label: '2025-12-29/2026-01-04', since: key('2025-12-29'), until: key('2026-01-05') })
    assert.deepEqual(summaryRange('week', '2027-01-03'), { period: 'week', label: '2026-12-28/2027-01-03', since: key('2026-12-28'), until: key('2027-01-04') })
  })

  test('a month is its first day to the first day of the next', () => {
    assert.deepEqual(summaryRange('month', '2024-02-10'), { period: 'month', label: '2024-02', since: key('2024-02-01'), until: key('2024-03-01') })
    assert.deepEqual(summaryRange('month', '2025-02-28'), { period: 'month', label: '2025-02', since: key('2025-02-01'), until: key('2025-03-01') })
    assert.deepEqual(summaryRange('month', '2025-12-31'), { period: 'month', label: '2025-12', since: key('2025-12-01'), until: key('2026-01-01') })
  })

  test('resolveDate: today and yesterday in UTC, a calendar date, nothing else', () => {
    const justAfterNewYear = Date.UTC(2026, 0, 1, 0, 30)
    assert.equal(resolveDate('today', justAfterNewYear), '2026-01-01')
    assert.equal(resolveDate('yesterday', justAfterNewYear), '2025-12-31')
    assert.equal(resolveDate('2024-02-29', justAfterNewYear), '2024-02-29')
    for (const bad of ['2025-02-29', '2025-13-01', '17/12/2025', '2025-12-17T00:00:00Z', 'tomorrow', '']) {
      assert.throws(() => resolveDate(bad, justAfterNewYear), (error: unknown) => error instanceof TradetrailError && error.code === 'TT_ERR_CLI_USAGE' && error.message.includes(JSON.stringify(bad)), bad)
    }
  })
})

/** Events around 2025-12-17, in time order (so seq order is time order too). */
const EVENTS: Array<Record<string, unknown>> = [
  { ts: '2025-12-16T23:59:59.999999999Z', project: 'AlphaBot', type: 'trade_opened', message: 'The evening before' },
  { ts: '2025-12-17T00:00:00Z', project: 'QuantumTrader', type: 'auto_repair', message: 'Auto-repair: PostgreSQL check - OK' },
  { ts: '2025-12-17T06:00:00Z', project: 'QuantumTrader', type: 'auto_repair', message: 'Auto-repair: Triggered by threshold breach' },
  { ts: '2025-12-17T06:00:15Z', project: 'AlphaBot', type: 'order_rejected', severity: 'error', message: 'Order rejected: insufficient margin' },
  { ts: '2025-12-17T09:30:00Z', project: 'RiskEngine', type: 'risk_limit_breach', severity: 'critical', message: 'Daily loss limit breached' },
  { ts: '2025-12-17T12:00:00Z', project: 'QuantumTrader', type: 'self_heal', severity: 'warning', message: 'Weekly self-heal: Module integrity check - WARNING' },
  { ts: '2025-12-17T23:59:59.999999999Z', project: 'AlphaBot', type: 'trade_closed', severity: 'notice', message: 'Closed EURUSD' },
  { ts: '2025-12-18T00:00:00Z', project: 'AlphaBot', type: 'trade_opened', message: 'The next morning' },
]

async function trailWith(t: TestContext, events: Array<Record<string, unknown>>): Promise<Trail> {
  const dataDir = join(tempDir(t, 'tt-summary'), 'data')
  if (events.length > 0) await writeTrail(dataDir, [events])
  const trail = await openTestTrail(dataDir)
  t.after(() => trail.close())
  return trail
}

/** The text without its chain block (the chain's state now, whatever the period). */
const withoutChain = (text: string): string => text.replace(/🔗 Chain head:[^]*?\n\n/, '')

describe('formatSummaryText', () => {
  test('a day with failures: title, totals, errors first, counts, recent actions', async (t) => {
    const trail = await trailWith(t, EVENTS)
    const summary = await buildSummary({ store: trail.store, period: 'day', date: '2025-12-17' })
    const text = formatSummaryText(summary)
    // The chain block (hashes of random ids) is checked in summary-send.test.ts against a fixed trail.
    assert.match(text, /\n\n🔗 Chain head: seq 8, hash [0-9a-f]{64}\n  signed head: seq 8, hash [0-9a-f]{64}\n  signed at \S+ by key [0-9a-f]{16}\n  signature: \S+\n\n⚠️/)
    assert.equal(withoutChain(text), [
      'Tradetrail – Daily Audit Summary (2025-12-17)',
      '',
      '📊 Total events: 6 (critical 1, error 1, warning 1, notice 1, info 2)',
      '',
      '❌ Failures and errors (2):',
      '[2025-12-17T09:30:00Z] RiskEngine/risk_limit_breach (critical): Daily loss limit breached',
      '[2025-12-17T06:00:15Z] AlphaBot/order_rejected (error): Order rejected: insufficient margin',
      '',
      'By project:',
      '  QuantumTrader  3',
      '  AlphaBot       2',
      '  RiskEngine     1',
      '',
      'By type:',
      '  auto_repair        2',
      '  order_rejected     1',
      '  risk_limit_breach  1',
      '  self_heal          1',
      '  trade_closed       1',
      '',
      'Recent actions:',
      '='.repeat(60),
      '[2025-12-17T00:00:00Z] QuantumTrader/auto_repair: Auto-repair: PostgreSQL check - OK',
      '[2025-12-17T06:00:00Z] QuantumTrader/auto_repair: Auto-repair: Triggered by threshold breach',
      '[2025-12-17T06:00:15Z] AlphaBot/order_rejected (error): Order rejected: insufficient margin',
      '[2025-12-17T09:30:00Z] RiskEngine/risk_limit_breach (critical): Daily loss limit breached',
      '[2025-12-17T12:00:00Z] QuantumTrader/self_heal (warning): Weekly self-heal: Module integrity check - WARNING',
      '[2025-12-17T23:59:59.999999999Z] AlphaBot/trade_closed (notice): Closed EURUSD',
      '='.repeat(60),
      '',
      '⚠️ 6 events recorded, 2 failures or errors',
      '',
    ].join('\n'))
  })

  test('more failures than shown, fewer recent actions than happened', async (t) => {
    const trail = await trailWith(t, [...EVENTS, { ts: '2025-12-17T13:00:00Z', project: 'AlphaBot', type: 'error', severity: 'error', message: 'Broker connection lost' }])
    const summary = await buildSummary({ store: trail.store, period: 'day', date: '2025-12-17', problemLimit: 2, recentLimit: 2, name: 'Quantum Trader V3' })
    const text = formatSummaryText(summary)
    assert.ok(text.startsWith('Quantum Trader V3 – Daily Audit Summary (2025-12-17)\n'), text)
    assert.ok(text.includes('\n❌ Failures and errors (3, newest 2 shown):\n[2025-12-17T13:00:00Z] AlphaBot/error (error): Broker connection lost\n[2025-12-17T09:30:00Z] RiskEngine/risk_limit_breach (critical): Daily loss limit breached\n\n'), text)
    assert.ok(text.includes(`\nRecent actions:\n${'='.repeat(60)}\n[2025-12-17T23:59:59.999999999Z] AlphaBot/trade_closed (notice): Closed EURUSD\n[2025-12-17T13:00:00Z] AlphaBot/error (error): Broker connection lost\n${'='.repeat(60)}\n`), 'recent actions are the latest stored, oldest of them first')
    assert.ok(text.endsWith('\n⚠️ 7 events recorded, 3 failures or errors\n'), text)
  })

  test('a week without failures, and an empty month', async (t) => {
    const calm = EVENTS.filter((e) => e.severity !== 'error' && e.severity !== 'critical')
    const trail = await trailWith(t, calm)
    const week = formatSummaryText(await buildSummary({ store: trail.store, period: 'week', date: '2025-12-20' }))
    assert.ok(week.startsWith('Tradetrail – Weekly Audit Summary (2025-12-15 – 2025-12-21)\n\n📊 Total events: 6 (warning 1, notice 1, info 4)\n\nBy project:\n'), week)
    assert.ok(!week.includes('❌'), week)
    assert.ok(week.endsWith('\n✅ 6 events recorded, no errors\n'), week)
    const empty = withoutChain(formatSummaryText(await buildSummary({ store: trail.store, period: 'month', date: '2025-11-05' })))
    assert.equal(empty, 'Tradetrail – Monthly Audit Summary (2025-11)\n\n📊 Total events: 0\n\n✅ 0 events recorded, no errors\n')
  })
})
