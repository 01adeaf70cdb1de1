/**
 * Tokens as operators expect them (PRODUCT.md guarantee 7): an expiry, refused from its instant
 * on also when the token is cached; rotation, where the old token works until its grace period
 * ends and the trail names both. Time is a ManualClock in a collector run in this process; the
 * CLI and a collector process check the same through the data directory.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ManualClock } from '@tradetrail/core'
import {
  closeHttp, describeAnswer, describeRun, errorOf, type HttpAnswer, http, parseJson, runCli, spawnCollector, tempDir, waitFor,
} from '@tradetrail/test-support'
import { loadConfig } from '../src/config.ts'
import { type RunningCollector, startCollector } from '../src/collector/serve.ts'

const HOUR_MS = 3_600_000

interface Made {
  id: string
  token: string
  expires_at: string | null
}

interface Rotated extends Made {
  scope: string
  projects: string[]
  privileges: string[]
  label: string | null
  replaces: { id: string; expires_at: string }
}

describe('expiry and rotation on the collector\'s clock', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 5, 9))
  let running: RunningCollector
  let admin: string

  before(async () => {
    const dataDir = tempDir({ after }, 'tt-token-clock')
    running = await startCollector(loadConfig({ env: {}, flags: { dataDir, port: '0' } }), { clock, print: () => {}, handleSignals: false })
    admin = running.initialToken!
  })
  after(async () => {
    closeHttp()
    await running.stop()
  })

  const api = (path: string, options: { token?: string; body?: unknown; method?: string } = {}): Promise<HttpAnswer> => http(running.url, path, options)
  async function make(body: Record<string, unknown>): Promise<Made> {
    const answer = await api('/v1/tokens', { token: admin, body })
    assert.equal(answer.status, 201, describeAnswer(answer))
    return answer.json<Made>()
  }
  async function rotate(id: string, body?: Record<string, unknown>): Promise<Rotated> {
    const answer = await api(`/v1/tokens/${id}/rotate`, { token: admin, method: 'POST', body })
    assert.equal(answer.status, 201, describeAnswer(answer))
    return answer.json<Rotated>()
  }
  const statusWith = async (token: string): Promise<number> => (await api('/v1/stats', { token })).status
  function assertExpired(answer: HttpAnswer, says: RegExp): void {
    assert.equal(answer.status, 401, describeAnswer(answer))
    assert.equal(errorOf(answer).code, 'TT_ERR_AUTH_EXPIRED', describeAnswer(answer))
    assert.match(errorOf(answer).message, says)
  }

  test('a token with expires_in works until that instant, then is refused with 401 TT_ERR_AUTH_EXPIRED, cached or not', async () => {
    const made = await make({ scope: 'read', expires_in: '1h' })
    assert.equal(made.expires_at, '2026-01-05T10:00:00.000000Z')
    assert.equal(await statusWith(made.token), 200)
    assert.equal(await statusWith(made.token), 200, 'served from the cache now')
    clock.advanceMs(HOUR_MS - 1)
    assert.equal(await statusWith(made.token), 200, 'a millisecond before its expiry')
    clock.advanceMs(1)
    assertExpired(await api('/v1/stats', { token: made.token }), new RegExp(`token ${made.id} expired at 2026-01-05T10:00:00.000000Z`))
    const listed = (await api('/v1/tokens', { token: admin })).json<{ tokens: Made[] }>().tokens
    assert.equal(listed.find((t) => t.id === made.id)?.expires_at, '2026-01-05T10:00:00.000000Z')
  })

  test('expires_at sets the instant; the past is refused', async () => {
    const at = new Date(clock.nowMicros() / 1000 + 2 * HOUR_MS).toISOString()
    const made = await make({ scope: 'ingest', projects: ['DeskA'], expires_at: at })
    assert.equal(made.expires_at, at.replace('Z', '000Z'))
    const past = await api('/v1/tokens', { token: admin, body: { scope: 'read', expires_at: new Date(clock.nowMicros() / 1000 - 1000).toISOString() } })
    assert.equal(errorOf(past).code, 'TT_ERR_TOKEN_TIME', describeAnswer(past))
    clock.advanceMs(2 * HOUR_MS)
    assertExpired(await api('/v1/events', { token: made.token, body: [{ project: 'DeskA', message: 'too late' }] }), /expired/)
  })

  test('rotation: the successor has the same scope, projects, privileges and label; the old token works until the grace period ends; the trail names both', async () => {
    const old = await make({ scope: 'ingest', projects: ['DeskA', 'DeskB'], privileges: ['execute_trade'], label: 'desk bot' })
    assert.equal(await statusWith(admin), 200)
    const send = (token: string): Promise<HttpAnswer> => api('/v1/events', { token, body: [{ project: 'DeskA', message: 'order' }] })
    assert.equal((await send(old.token)).status, 200, 'the old token works, and is cached')
    const successor = await rotate(old.id, { grace: '2h' })
    assert.deepEqual([successor.scope, successor.projects, successor.privileges, successor.label, successor.expires_at], ['ingest', ['DeskA', 'DeskB'], ['execute_trade'], 'desk bot', null])
    assert.notEqual(successor.id, old.id)
    const graceEnd = new Date(clock.nowMicros() / 1000 + 2 * HOUR_MS).toISOString().replace('Z', '000Z')
    assert.deepEqual(successor.replaces, { id: old.id, expires_at: graceEnd })
    assert.equal((await send(successor.token)).status, 200, 'the successor works at once')
    assert.equal((await send(old.token)).status, 200, 'the old token works in its grace period')
    clock.advanceMs(2 * HOUR_MS - 1)
    assert.equal((await send(old.token)).status, 200, 'a millisecond before the grace period ends')
    clock.advanceMs(1)
    assertExpired(await send(old.token), new RegExp(`token ${old.id} was rotated to token ${successor.id}, and its grace period ended at ${graceEnd}`))
    assert.equal((await send(successor.token)).status, 200, 'the successor goes on')

    const recorded = (await api('/v1/events?project=tradetrail&type=token_rotated', { token: admin })).json<{ events: Array<{ message: string; data: Record<string, any> }> }>().events
    assert.equal(recorded.length, 1, JSON.stringify(recorded))
    const { data, message } = recorded[0]!
    assert.deepEqual([data.id, data.replaced_by, data.expires_at, data.successor.id, data.successor.projects], [old.id, successor.id, graceEnd, successor.id, ['DeskA', 'DeskB']])
    assert.ok(message.includes(old.id) && message.includes(successor.id), message)
    assert.ok(!JSON.stringify(recorded).includes(successor.token.slice(16)), 'the trail holds no secret')
    const listed = (await api('/v1/tokens', { token: admin })).json<{ tokens: Array<Made & { replaced_by: string | null }> }>().tokens
    assert.deepEqual(listed.find((t) => t.id === old.id)?.replaced_by, successor.id)
  })

  test('a grace period of 0 ends the old token at once; the default is 24h', async () => {
    const now = await make({ scope: 'read' })
    assert.equal(await statusWith(now.token), 200)
    const successor = await rotate(now.id, { grace: '0' })
    assertExpired(await api('/v1/stats', { token: now.token }), /grace period ended/)
    assert.equal(await statusWith(successor.token), 200)
    const later = await make({ scope: 'read' })
    const byDefault = await rotate(later.id) // no body at all
    assert.equal(byDefault.replaces.expires_at, new Date(clock.nowMicros() / 1000 + 24 * HOUR_MS).toISOString().replace('Z', '000Z'))
  })

  test('the successor of an expiring token lives as long as it did, counted from the rotation, unless the rotation says otherwise', async () => {
    const monthly = await make({ scope: 'read', projects: ['DeskA'], expires_in: '30d' })
    clock.advanceMs(10 * 24 * HOUR_MS)
    const successor = await rotate(monthly.id, { grace: '1h' })
    assert.equal(successor.expires_at, new Date(clock.nowMicros() / 1000 + 30 * 24 * HOUR_MS).toISOString().replace('Z', '000Z'))
    assert.deepEqual(successor.projects, ['DeskA'])
    const chosen = await rotate(successor.id, { grace: '0s', expires_in: '7d' })
    assert.equal(chosen.expires_at, new Date(clock.nowMicros() / 1000 + 7 * 24 * HOUR_MS).toISOString().replace('Z', '000Z'))
  })

  test('only an active token can be rotated, each refusal with its code; nothing is issued then', async () => {
    const count = async (): Promise<number> => (await api('/v1/tokens', { token: admin })).json<{ tokens: unknown[] }>().tokens.length
    const rotatedOnce = await make({ scope: 'read' })
    const successor = await rotate(rotatedOnce.id)
    const revoked = await make({ scope: 'read' })
    assert.equal((await api(`/v1/tokens/${revoked.id}`, { token: admin, method: 'DELETE' })).status, 200)
    const expired = await make({ scope: 'read', expires_in: '1m' })
    clock.advanceMs(60_000)
    const before = await count()
    const cases: Array<[string, Record<string, unknown> | undefined, number, string, RegExp]> = [
      [rotatedOnce.id, undefined, 409, 'TT_ERR_TOKEN_NOT_ACTIVE', new RegExp(`rotated to token ${successor.id} already; rotate ${successor.id} instead`)],
      [revoked.id, undefined, 409, 'TT_ERR_TOKEN_NOT_ACTIVE', /was revoked at .* cannot be rotated/],
      [expired.id, undefined, 409, 'TT_ERR_TOKEN_NOT_ACTIVE', /expired at .* cannot be rotated/],
      ['0123456789ab', undefined, 404, 'TT_ERR_TOKEN_NOT_FOUND', /was not found/],
      [successor.id, { grace: 'a day' }, 400, 'TT_ERR_TOKEN_TIME', /grace \(--grace\) must be a duration such as 0s, 30m, 24h or 7d, got "a day"/],
      [successor.id, { grace: '1h', scope: 'admin' }, 400, 'TT_ERR_TOKEN_FIELD', /"scope" is not a field of a rotation/],
      [successor.id, { expires_at: '2020-01-01T00:00:00Z' }, 400, 'TT_ERR_TOKEN_TIME', /must be in the future/],
    ]
    for (const [id, body, status, code, says] of cases) {
      const answer = await api(`/v1/tokens/${id}/rotate`, { token: admin, method: 'POST', body })
      assert.equal(answer.status, status, `${id} ${JSON.stringify(body)}: ${describeAnswer(answer)}`)
      assert.equal(errorOf(answer).code, code, describeAnswer(answer))
      assert.match(errorOf(answer).message, says)
    }
    assert.equal(await count(), before, 'no token was issued by a refused rotation')
    assert.equal(await statusWith(successor.token), 200, 'the refusals changed nothing')
  })
})

describe('tokens through the CLI', () => {
  test('token create --expires-in / --expires-at print the expiry; a bad one is refused with TT_ERR_TOKEN_TIME and creates nothing', async (t) => {
    const dataDir = tempDir(t, 'tt-token-cli')
    const made = await runCli(['token', 'create', '--scope', 'read', '--project', 'DeskA', '--expires-in', '30d', '--json'], { dataDir })
    assert.equal(made.code, 0, describeRun(made))
    const token = parseJson<{ expires_at: string; created_at: string; projects: string[] }>(made)
    assert.equal(Date.parse(token.expires_at) - Date.parse(token.created_at), 30 * 24 * HOUR_MS, JSON.stringify(token))
    assert.deepEqual(token.projects, ['DeskA'])
    const human = await runCli(['token', 'create', '--scope', 'read', '--expires-at', '2999-01-01T00:00:00Z'], { dataDir })
    assert.equal(human.code, 0, describeRun(human))
    assert.match(human.stdout, /read {2}created \S+ {2}expires 2999-01-01T00:00:00\.000000Z/)
    for (const args of [['--expires-at', '2001-01-01T00:00:00Z'], ['--expires-in', 'soon'], ['--expires-in', '1d', '--expires-at', '2999-01-01T00:00:00Z']]) {
      const bad = await runCli(['token', 'create', '--scope', 'read', ...args], { dataDir })
      assert.equal(bad.code, 1, describeRun(bad))
      assert.match(bad.stderr, /TT_ERR_TOKEN_TIME/, describeRun(bad))
    }
    const listed = parseJson<unknown[]>(await runCli(['token', 'list', '--json'], { dataDir }))
    assert.equal(listed.length, 2, 'the refused requests created nothing')
  })

  test('token rotate offline while a collector runs: the old token is refused at once with --grace 0, the successor works, the trail names both', async (t) => {
    const c = await spawnCollector(t)
    const created = await http(c.url, '/v1/tokens', { token: c.adminToken!, body: { scope: 'read', label: 'rotated by the CLI' } })
    const old = created.json<Made>()
    assert.equal((await http(c.url, '/v1/stats', { token: old.token })).status, 200, 'the old token works and is cached')
    const rotated = await runCli(['token', 'rotate', old.token, '--grace', '0', '--json'], { dataDir: c.dataDir })
    assert.equal(rotated.code, 0, describeRun(rotated))
    const successor = parseJson<Rotated>(rotated)
    assert.equal(successor.replaces.id, old.id)
    assert.equal(successor.label, 'rotated by the CLI')
    // The rotation reaches the collector over the commit feed, which drops the cached record.
    const refused = await waitFor(() => http(c.url, '/v1/stats', { token: old.token }), (a) => a.status === 401, {
      describe: 'the old token refused after its rotation with --grace 0', show: describeAnswer, timeoutMs: 10_000, intervalMs: 50,
    })
    assert.equal(errorOf(refused).code, 'TT_ERR_AUTH_EXPIRED')
    assert.equal((await http(c.url, '/v1/stats', { token: successor.token })).status, 200)
    const events = (await http(c.url, '/v1/events?project=tradetrail&type=token_rotated', { token: c.adminToken! })).json<{ events: Array<{ data: { id: string; replaced_by: string }; submitter?: string }> }>().events
    assert.deepEqual(events.map((e) => [e.data.id, e.data.replaced_by]), [[old.id, successor.id]])
    assert.match(events[0]!.submitter ?? '', /^cli:/)
    const human = await runCli(['token', 'rotate', successor.id], { dataDir: c.dataDir })
    assert.equal(human.code, 0, describeRun(human))
    assert.match(human.stdout, new RegExp(`^tt_[0-9a-f]{12}_\\S+\\n.*shown once\\)\\n${successor.id} keeps working until \\S+Z\\n$`))
  })

  test('token rotate --url goes through the collector\'s API, and a refusal there keeps its code', async (t) => {
    const c = await spawnCollector(t)
    const old = (await http(c.url, '/v1/tokens', { token: c.adminToken!, body: { scope: 'ingest', projects: ['DeskA'] } })).json<Made>()
    const rotated = await runCli(['token', 'rotate', old.id, '--url', c.url, '--token', c.adminToken!, '--grace', '30m', '--json'], { dataDir: c.dataDir })
    assert.equal(rotated.code, 0, describeRun(rotated))
    assert.equal(parseJson<Rotated>(rotated).replaces.id, old.id)
    const again = await runCli(['token', 'rotate', old.id, '--url', c.url, '--token', c.adminToken!], { dataDir: c.dataDir })
    assert.equal(again.code, 1, describeRun(again))
    assert.match(again.stderr, /409 TT_ERR_TOKEN_NOT_ACTIVE/)
  })
})
