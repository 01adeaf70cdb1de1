/**
 * Retention that proves itself (PRODUCT.md guarantee 4): every purge is shown by verify, and one
 * that removed what a checkpoint exported before it proves was younger than the minimum
 * retention fails `verify --checkpoints`; legal holds placed through the CLI or the admin API
 * stop every purge, timed or not, before the first event they cover, until released — also
 * across restarts. Timed retention runs on a ManualClock in a collector in this process.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test, type TestContext } from 'node:test'
import { ManualClock, type StoredEvent, durationMillis } from '@tradetrail/core'
import {
  closeHttp, describeAnswer, describeRun, errorLines, errorOf, type HttpAnswer, http, parseJson, runCli, tempDir, waitFor,
} from '@tradetrail/test-support'
import { type RunningCollector, startCollector } from '../src/collector/serve.ts'
import { loadConfig } from '../src/config.ts'
import type { VerifyReport } from '../src/verify-trail.ts'
import { snapshotTrail, storedEvents, writeTrail } from './helpers/trail.ts'

const DAY_MS = 86_400_000
const FIVE_YEARS_MS = durationMillis('5y')!

function assertOk(result: { code: number | null; stderr: string; stdout: string }, what: string): void {
  assert.equal(result.code, 0, `${what}: ${describeRun(result as Parameters<typeof describeRun>[0])}`)
}

/** `count` events of `project` received at `atMs` (a ManualClock there). */
function batch(project: string, count: number): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({ project, message: `${project} ${i + 1}` }))
}

describe('verify shows every purge, and catches one that an earlier export proves premature', () => {
  test('a purge of everything below the minimum, with checkpoints exported before it: verify --checkpoints fails (premature_purge); verify alone passes and shows the purge', async (t) => {
    const dir = tempDir(t, 'tt-premature')
    const dataDir = join(dir, 'data')
    await writeTrail(dataDir, [batch('AlphaBot', 3), batch('AlphaBot', 2)], { checkpointEvery: 3 })
    const earlier = join(dir, 'before.json')
    const exported = await runCli(['checkpoints', '--json'], { dataDir })
    assertOk(exported, 'checkpoints --json')
    writeFileSync(earlier, exported.stdout)

    const purge = await runCli(['purge', '--older-than', '1ms', '--below-minimum-retention', 'dry run of the purge procedure'], { dataDir })
    assertOk(purge, 'purge')
    const alone = await runCli(['verify', '--json'], { dataDir })
    assertOk(alone, 'verify alone')
    const report = parseJson<VerifyReport>(alone)
    assert.deepEqual(report.purges.map((p) => [p.from_seq, p.seq, p.purged, p.legacy, p.retention_ms, p.min_retention_ms, p.below_minimum]),
      [[1, 5, 5, false, 1, FIVE_YEARS_MS, 'dry run of the purge procedure']])

    const checked = await runCli(['verify', '--json', '--checkpoints', earlier], { dataDir })
    assert.equal(checked.code, 1, describeRun(checked))
    const failed = parseJson<VerifyReport>(checked)
    assert.deepEqual([failed.ok, failed.problem?.seq, failed.problem?.code], [false, 3, 'premature_purge'], JSON.stringify(failed.problem))
    assert.match(failed.problem!.message, /less than the minimum retention \(5y\) before that purge removed it; it went below the minimum, because "dry run/)
    assert.match(errorLines(checked.stderr)[0]!, /verification failed at seq 3: .*\(premature_purge\)$/)

    // An export taken after the purge holds the checkpoints it left behind its anchor: no evidence against it.
    const later = join(dir, 'after.json')
    writeFileSync(later, (await runCli(['checkpoints', '--json'], { dataDir })).stdout)
    assertOk(await runCli(['verify', '--checkpoints', later], { dataDir }), 'verify with an export taken after the purge')
  })

  test('a purge that keeps to the minimum passes verify --checkpoints with an export taken before it; verify lists every purge, in words and in --json', async (t) => {
    const dir = tempDir(t, 'tt-purges')
    const dataDir = join(dir, 'data')
    const clock = new ManualClock(Date.now() - 7 * 365 * DAY_MS)
    await writeTrail(dataDir, [batch('OldBot', 4)], { clock, checkpointEvery: 2 })
    clock.setMs(Date.now() - 6 * 365 * DAY_MS)
    await writeTrail(dataDir, [batch('OldBot', 3)], { clock, checkpointEvery: 2 })
    await writeTrail(dataDir, [batch('NewBot', 2)])
    const earlier = join(dir, 'before.json')
    writeFileSync(earlier, (await runCli(['checkpoints', '--json'], { dataDir })).stdout)

    assertOk(await runCli(['purge', '--older-than', '2200d'], { dataDir }), 'first purge')
    assertOk(await runCli(['purge', '--older-than', '5y'], { dataDir }), 'second purge')
    const result = await runCli(['verify', '--json', '--checkpoints', earlier], { dataDir })
    assertOk(result, 'verify --checkpoints')
    const report = parseJson<VerifyReport>(result)
    assert.deepEqual(report.purges.map((p) => [p.from_seq, p.seq, p.purged, p.retention_ms, p.below_minimum]), [[1, 4, 4, 2200 * DAY_MS, null], [5, 7, 3, FIVE_YEARS_MS, null]])
    for (const p of report.purges) assert.ok(p.newest_received_at! < p.time, `${JSON.stringify(p)}: the newest purged event came before the purge`)
    const human = await runCli(['verify'], { dataDir })
    assertOk(human, 'verify')
    const lines = human.stdout.split('\n')
    assert.match(lines[0]!, /^purge of seq 1\.\.4 \(4 events\) at \S+Z: events received over 2200d before it \(minimum retention 5y\), the newest at \S+Z$/)
    assert.match(lines[1]!, /^purge of seq 5\.\.7 \(3 events\) at \S+Z: events received over 5y before it \(minimum retention 5y\), the newest at \S+Z$/)
    assert.match(lines[2]!, /^OK: \d+ events verified \(seq 8\.\.\d+\), \d+ signed checkpoints, from the retention anchor at seq 7$/)
  })
})

describe('legal holds from the command line', () => {
  /** 3 events of OldBot, 2 of HeldBot, 3 of OldBot, all received six years ago, then one now. */
  async function heldTrail(t: TestContext): Promise<string> {
    const dataDir = join(tempDir(t, 'tt-hold'), 'data')
    await writeTrail(dataDir, [batch('OldBot', 3), batch('HeldBot', 2), batch('OldBot', 3)], { clock: new ManualClock(Date.now() - 6 * 365 * DAY_MS) })
    await writeTrail(dataDir, [batch('NewBot', 1)])
    return dataDir
  }

  test('a hold on a project stops a purge before its first event; once released, the purge goes on; both are recorded in the chain', async (t) => {
    const dataDir = await heldTrail(t)
    const placed = await runCli(['hold', 'place', '--project', 'HeldBot', '--reason', 'SEC inquiry 24-117', '--json'], { dataDir })
    assertOk(placed, 'hold place')
    const hold = parseJson<{ id: string; project: string; placed_by: string; released_at: null }>(placed)
    assert.match(hold.id, /^[0-9a-f]{12}$/)
    assert.match(hold.placed_by, /^cli:.+@.+$/)

    const held = await runCli(['purge', '--older-than', '5y'], { dataDir })
    assertOk(held, 'purge under the hold')
    assert.equal(held.stdout, `purged 3 events through seq 3; anchor signed\nstopped before seq 4: legal hold ${hold.id} covers it ("SEC inquiry 24-117")\n`)
    const again = await runCli(['purge', '--older-than', '5y', '--json'], { dataDir })
    assert.deepEqual(parseJson<{ purged: number; held: { hold: string; seq: number } }>(again).held, { hold: hold.id, reason: 'SEC inquiry 24-117', seq: 4 })

    const list = await runCli(['hold', 'list'], { dataDir })
    assert.match(list.stdout, new RegExp(`^${hold.id}  project HeldBot  placed \\S+ by cli:\\S+: "SEC inquiry 24-117"  IN FORCE\\n$`))
    assertOk(await runCli(['hold', 'release', hold.id, '--reason', 'inquiry closed'], { dataDir }), 'hold release')
    const released = await runCli(['purge', '--older-than', '5y', '--json'], { dataDir })
    const out = parseJson<{ purged: number; held: unknown; anchor: { seq: number } }>(released)
    assert.deepEqual([out.purged, out.held, out.anchor.seq], [5, null, 8])

    const records = (await storedEvents(dataDir)).filter((e) => e.project === 'tradetrail')
    const types = records.map((e) => [e.type, e.data?.held === undefined || e.data.held === null ? null : (e.data.held as { seq: number }).seq])
    assert.deepEqual(types, [['legal_hold_placed', null], ['retention_purge', 4], ['retention_purge', 4], ['legal_hold_released', null], ['retention_purge', null]])
    const [placedEvent, , , releasedEvent] = records as [StoredEvent, StoredEvent, StoredEvent, StoredEvent]
    assert.deepEqual([placedEvent.data?.id, placedEvent.data?.reason, placedEvent.data?.placed_by], [hold.id, 'SEC inquiry 24-117', hold.placed_by])
    assert.deepEqual([releasedEvent.data?.release_reason, releasedEvent.data?.released_by], ['inquiry closed', hold.placed_by])
    assertOk(await runCli(['verify'], { dataDir }), 'verify')
  })

  test('a hold on a time range covers events stamped in it, and events received in it', async (t) => {
    const dataDir = join(tempDir(t, 'tt-hold-range'), 'data')
    const clock = new ManualClock(Date.UTC(2019, 2, 1))
    await writeTrail(dataDir, [[...batch('OldBot', 2), { project: 'OldBot', message: 'stamped in March 2018', ts: '2018-03-15T12:00:00Z' }], batch('OldBot', 2)], { clock })
    clock.setMs(Date.UTC(2019, 5, 1))
    await writeTrail(dataDir, [batch('OldBot', 2)], { clock })
    const stamped = await runCli(['hold', 'place', '--from', '2018-03-01', '--to', '2018-04-01', '--reason', 'March 2018 trades', '--json'], { dataDir })
    assertOk(stamped, 'hold place (stamped)')
    assert.deepEqual(purgeOf(await runCli(['purge', '--older-than', '5y', '--json'], { dataDir })), [2, 3])
    assertOk(await runCli(['hold', 'release', parseJson<{ id: string }>(stamped).id, '--reason', 'done'], { dataDir }), 'release')
    assertOk(await runCli(['hold', 'place', '--from', '2019-05-01T00:00:00Z', '--to', '2019-07-01T00:00:00Z', '--reason', 'June 2019'], { dataDir }), 'hold place (received)')
    assert.deepEqual(purgeOf(await runCli(['purge', '--older-than', '5y', '--json'], { dataDir })), [3, 6])
  })

  /** [purged, the held seq] of a `purge --json`. */
  function purgeOf(result: { stdout: string; code: number | null; stderr: string }): [number, number | undefined] {
    assertOk(result, 'purge')
    const out = JSON.parse(result.stdout) as { purged: number; held: { seq: number } | null }
    return [out.purged, out.held?.seq]
  }

  const bad: Array<[string, string[], RegExp]> = [
    ['neither a project nor a range', ['hold', 'place', '--reason', 'x'], /--project or a time range \(from and to\) is needed, not both/],
    ['a project and a range', ['hold', 'place', '--project', 'A', '--from', '2025-01-01', '--to', '2025-02-01', '--reason', 'x'], /--project or a time range/],
    ['a range without its end', ['hold', 'place', '--from', '2025-01-01', '--reason', 'x'], /--to is needed too/],
    ['a time that is not one', ['hold', 'place', '--from', 'last week', '--to', '2025-02-01', '--reason', 'x'], /--from must be an RFC 3339 UTC time or a date.*"last week"/],
    ['a range that ends before it starts', ['hold', 'place', '--from', '2025-02-01', '--to', '2025-01-01', '--reason', 'x'], /--to must be later than from/],
    ['a project name that is not one', ['hold', 'place', '--project', 'a b', '--reason', 'x'], /--project must be 1 to 64 characters/],
    ['a reason of two lines', ['hold', 'place', '--project', 'A', '--reason', 'a\nb'], /--reason must be a single line/],
  ]
  for (const [what, args, says] of bad) {
    test(`hold place with ${what} is refused (exit 2) and changes nothing`, async (t) => {
      const dataDir = await heldTrail(t)
      const before = snapshotTrail(dataDir)
      const result = await runCli(args, { dataDir })
      assert.equal(result.code, 2, describeRun(result))
      assert.equal(errorLines(result.stderr).length, 1, describeRun(result))
      assert.match(errorLines(result.stderr)[0]!, says)
      assert.match(errorLines(result.stderr)[0]!, /\(TT_ERR_CLI_USAGE\)$/)
      assert.deepEqual(snapshotTrail(dataDir), before)
    })
  }

  test('hold release of an unknown id, or of a released hold, is refused with its code', async (t) => {
    const dataDir = await heldTrail(t)
    const unknown = await runCli(['hold', 'release', 'abcdefabcdef', '--reason', 'x'], { dataDir })
    assert.equal(unknown.code, 1, describeRun(unknown))
    assert.match(errorLines(unknown.stderr)[0]!, /legal hold abcdefabcdef was not found.*\(TT_ERR_HOLD_NOT_FOUND\)$/)
    const { id } = parseJson<{ id: string }>(await runCli(['hold', 'place', '--project', 'A', '--reason', 'x', '--json'], { dataDir }))
    assertOk(await runCli(['hold', 'release', id, '--reason', 'first'], { dataDir }), 'release')
    const twice = await runCli(['hold', 'release', id, '--reason', 'second'], { dataDir })
    assert.equal(twice.code, 1, describeRun(twice))
    assert.match(errorLines(twice.stderr)[0]!, /was released already, at \S+Z.*\(TT_ERR_HOLD_RELEASED\)$/)
  })
})

describe('legal holds through the admin API, and timed retention on the collector\'s clock', () => {
  const start = Date.UTC(2031, 0, 10)
  const clock = new ManualClock(start)
  const dataDir = join(tempDir({ after }, 'tt-hold-api'), 'data')
  let running: RunningCollector
  let admin: string
  let holdId: string

  before(async () => {
    const old = new ManualClock(start - 6 * 365 * DAY_MS)
    await writeTrail(dataDir, [batch('OldBot', 3), batch('HeldBot', 2), batch('OldBot', 3)], { clock: old })
    old.advanceMs(200 * DAY_MS)
    await writeTrail(dataDir, [batch('LaterBot', 2)], { clock: old })
    // Placed by another process before the collector starts: holds live in the trail, not in a process.
    const placed = await runCli(['hold', 'place', '--project', 'HeldBot', '--reason', 'litigation hold', '--json'], { dataDir })
    holdId = parseJson<{ id: string }>(placed).id
    const config = loadConfig({ env: {}, flags: { dataDir, port: '0', retentionMs: '5y' } })
    running = await startCollector(config, { clock, print: () => {}, handleSignals: false })
    admin = running.initialToken!
  })
  after(async () => {
    closeHttp()
    await running.stop()
  })

  const api = (path: string, options: { token?: string; body?: unknown; method?: string } = {}): Promise<HttpAnswer> => http(running.url, path, { token: admin, ...options })
  const anchorSeq = async (): Promise<number> => (await api('/v1/checkpoints')).json<{ anchor: { seq: number } | null }>().anchor?.seq ?? 0

  test('the purge at start stops before the held project; GET /v1/holds lists the hold', async () => {
    assert.equal(await anchorSeq(), 3)
    const listed = await api('/v1/holds')
    assert.equal(listed.status, 200, describeAnswer(listed))
    assert.deepEqual(listed.json<{ holds: Array<{ id: string; project: string; released_at: null }> }>().holds.map((h) => [h.id, h.project, h.released_at]), [[holdId, 'HeldBot', null]])
  })

  test('released through the API, the next daily run purges on, as far as a range hold placed through the API lets it', async () => {
    const released = await api(`/v1/holds/${holdId}/release`, { method: 'POST', body: { reason: 'settled' } })
    assert.equal(released.status, 200, describeAnswer(released))
    assert.equal(released.json<{ released_by: string }>().released_by, `token:${tokenIdOf(admin)}`)
    // LaterBot's events were received in mid-2025; OldBot's and HeldBot's in January 2025.
    const range = await api('/v1/holds', { body: { from: '2025-06-01', to: '2025-12-31T00:00:00Z', reason: 'H2 2025 audit' } })
    assert.equal(range.status, 201, describeAnswer(range))
    const rangeHold = range.json<{ id: string; from: string; to: string; placed_by: string }>()
    assert.deepEqual([rangeHold.from, rangeHold.to, rangeHold.placed_by], ['2025-06-01T00:00:00.000000000Z', '2025-12-31T00:00:00.000000000Z', `token:${tokenIdOf(admin)}`])

    clock.advanceMs(DAY_MS)
    await waitFor(anchorSeq, (seq) => seq === 8, { describe: 'the anchor at seq 8 once the daily run purged OldBot\'s and HeldBot\'s events', timeoutMs: 30_000 })
    // The purge's own event is appended after its anchor is stored: wait for it too.
    const newestPurges = async (): Promise<StoredEvent[]> => (await api('/v1/events?project=tradetrail&type=retention_purge')).json<{ events: StoredEvent[] }>().events
    const purges = await waitFor(newestPurges, (events) => events[0]?.data?.seq === 8, { describe: 'the retention_purge event of the purge through seq 8' })
    assert.deepEqual(purges[0]!.data?.held, { hold: rangeHold.id, reason: 'H2 2025 audit', seq: 9 }, 'the newest purge says which hold stopped it')
    assert.equal(purges[0]!.data?.by, 'collector')
    const types = (await api('/v1/events?project=tradetrail&limit=100')).json<{ events: StoredEvent[] }>().events.map((e) => e.type)
    assert.ok(['legal_hold_placed', 'legal_hold_released', 'retention_purge'].every((type) => types.includes(type)), JSON.stringify(types))
    const answer = await api('/v1/verify')
    assert.equal(answer.status, 200, describeAnswer(answer))
    const verify = answer.json<VerifyReport>()
    assert.deepEqual([verify.ok, verify.purges.map((p) => p.seq)], [true, [3, 8]], JSON.stringify(verify.problem))
  })

  const refused: Array<[string, string, unknown, number, string, RegExp]> = [
    ['a body that is not an object', '/v1/holds', ['x'], 400, 'TT_ERR_HOLD_INVALID', /the body must be a JSON object/],
    ['an unknown field', '/v1/holds', { project: 'A', reason: 'x', until: 'never' }, 400, 'TT_ERR_HOLD_INVALID', /"until" is not a field of a legal hold/],
    ['no reason', '/v1/holds', { project: 'A' }, 400, 'TT_ERR_HOLD_INVALID', /reason must be a single line/],
    ['a project and a range', '/v1/holds', { project: 'A', from: '2025-01-01', to: '2025-02-01', reason: 'x' }, 400, 'TT_ERR_HOLD_INVALID', /project or a time range/],
    ['a number for a time', '/v1/holds', { from: 20250101, to: '2025-02-01', reason: 'x' }, 400, 'TT_ERR_HOLD_INVALID', /from must be an RFC 3339 UTC time.*"20250101"/],
    ['a release of an unknown hold', '/v1/holds/abcdefabcdef/release', { reason: 'x' }, 404, 'TT_ERR_HOLD_NOT_FOUND', /abcdefabcdef was not found/],
    ['a release without a reason', `/v1/holds/abcdefabcdef/release`, {}, 400, 'TT_ERR_HOLD_INVALID', /reason must be a single line/],
  ]
  for (const [what, path, body, status, code, says] of refused) {
    test(`POST ${path.replace(/[0-9a-f]{12}/, ':id')} with ${what}: ${status} ${code}, nothing placed`, async () => {
      const before = (await api('/v1/holds')).json<{ holds: unknown[] }>().holds.length
      const answer = await api(path, { method: 'POST', body })
      assert.equal(answer.status, status, describeAnswer(answer))
      assert.equal(errorOf(answer).code, code)
      assert.match(errorOf(answer).message, says)
      assert.equal((await api('/v1/holds')).json<{ holds: unknown[] }>().holds.length, before)
    })
  }

  test('a release of a hold released already: 409 TT_ERR_HOLD_RELEASED; a read token may not see or place holds', async () => {
    const again = await api(`/v1/holds/${holdId}/release`, { method: 'POST', body: { reason: 'again' } })
    assert.deepEqual([again.status, errorOf(again).code], [409, 'TT_ERR_HOLD_RELEASED'], describeAnswer(again))
    const reader = (await api('/v1/tokens', { body: { scope: 'read' } })).json<{ token: string }>().token
    for (const answer of [await api('/v1/holds', { token: reader }), await api('/v1/holds', { token: reader, body: { project: 'A', reason: 'x' } })]) {
      assert.deepEqual([answer.status, errorOf(answer).code], [403, 'TT_ERR_AUTH_SCOPE'], describeAnswer(answer))
    }
  })
})

function tokenIdOf(token: string): string {
  return /^tt_([0-9a-f]{12})_/.exec(token)![1]!
}
