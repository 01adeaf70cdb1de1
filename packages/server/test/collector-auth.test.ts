/**
 * No one in without a token (PRODUCT.md guarantee 7), against a real collector process: the
 * whole matrix of missing, malformed, wrong, revoked (offline through the CLI while the
 * collector runs, and through the API), wrong-scope and wrong-project tokens over every
 * endpoint; read tokens limited to projects on every read endpoint; per-token rate limits; and
 * token secrets never showing in logs, metrics or the trail.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { type AddressInfo, createServer } from 'node:net'
import { after, before, test } from 'node:test'
import {
  closeHttp, type CollectorProcess, deferredHooks, describeAnswer, describeRun, errorOf, http, type HttpAnswer,
  producerCounts, runCli, spawnCollector, testEvent, waitFor,
} from '@tradetrail/test-support'

type Scope = 'ingest' | 'read' | 'admin'
interface Endpoint {
  method: string
  path: string
  scopes: readonly Scope[]
  body?: () => unknown
}

const READ: readonly Scope[] = ['read', 'admin']
/** One id that exists, so GET /v1/events/:id and friends can answer 200 to the right token. */
let knownId: string
/** Every authenticated endpoint of the API with the scopes that may use it. */
const endpoints = (): Endpoint[] => [
  { method: 'POST', path: '/v1/events', scopes: ['ingest', 'admin'], body: () => [testEvent('AuthA', { message: 'matrix' })] },
  { method: 'GET', path: '/v1/events', scopes: READ },
  { method: 'GET', path: `/v1/events/${knownId}`, scopes: READ },
  { method: 'GET', path: '/v1/stats', scopes: READ },
  { method: 'GET', path: '/v1/summary?period=day', scopes: READ },
  { method: 'GET', path: '/v1/export?format=jsonl&project=AuthA', scopes: READ },
  { method: 'GET', path: '/v1/export?format=csv&project=AuthA', scopes: READ },
  { method: 'GET', path: '/v1/verify', scopes: READ },
  { method: 'GET', path: '/v1/checkpoints', scopes: READ },
  { method: 'GET', path: '/metrics', scopes: READ },
  { method: 'POST', path: '/v1/tokens', scopes: ['admin'], body: () => ({ scope: 'read', label: 'made by the auth matrix' }) },
  { method: 'GET', path: '/v1/tokens', scopes: ['admin'] },
  { method: 'POST', path: '/v1/tokens/0123456789ab/rotate', scopes: ['admin'], body: () => ({ grace: '1h' }) },
  { method: 'DELETE', path: '/v1/tokens/0123456789ab', scopes: ['admin'] },
]

const owner = deferredHooks()
/** At TRADETRAIL_LOG_LEVEL=trace, so that anything the collector could log, it does. */
let c: CollectorProcess
/**
 * TRADETRAIL_RATE_LIMIT=1, TRADETRAIL_RATE_LIMIT_BURST=5: a burst of five, then one a second, so
 * that six requests sent at once meet an empty bucket even when a busy machine spreads them out.
 */
let limited: CollectorProcess
const tokens: Record<'admin' | 'read' | 'readB' | 'ingestA' | 'revokedCli' | 'revokedApi', { id: string; token: string }> = {} as never
/** Every token secret this file has seen, real or invented: none may leak. */
const secrets = new Set<string>()

function remember(token: string): string {
  secrets.add(token)
  const secret = /^tt_[0-9a-f]{12}_(.+)$/.exec(token)?.[1]
  if (secret !== undefined) secrets.add(secret)
  return token
}

async function createToken(body: Record<string, unknown>): Promise<{ id: string; token: string }> {
  const answer = await http(c.url, '/v1/tokens', { token: tokens.admin.token, body })
  assert.equal(answer.status, 201, `POST /v1/tokens ${JSON.stringify(body)}: ${describeAnswer(answer)}`)
  const created = answer.json<{ id: string; token: string }>()
  remember(created.token)
  return created
}

before(async () => {
  ;[c, limited] = await Promise.all([
    spawnCollector(owner, { env: { TRADETRAIL_LOG_LEVEL: 'trace' } }),
    spawnCollector(owner, { env: { TRADETRAIL_RATE_LIMIT: '1', TRADETRAIL_RATE_LIMIT_BURST: '5' } }),
  ])
  tokens.admin = { id: /^tt_([0-9a-f]{12})_/.exec(c.adminToken!)![1]!, token: remember(c.adminToken!) }
  remember(limited.adminToken!)
  tokens.read = await createToken({ scope: 'read' })
  tokens.readB = await createToken({ scope: 'read', projects: ['AuthB'], label: 'the AuthB desk' })
  tokens.ingestA = await createToken({ scope: 'ingest', projects: ['AuthA'], privileges: ['execute_trade'] })
  tokens.revokedCli = await createToken({ scope: 'read', label: 'revoked offline' })
  tokens.revokedApi = await createToken({ scope: 'ingest', projects: ['AuthA'], label: 'revoked through the API' })
  const seeded = testEvent('AuthA', { message: 'seed' })
  knownId = seeded.id
  const answer = await http(c.url, '/v1/events', { token: tokens.ingestA.token, body: [seeded] })
  assert.equal(answer.status, 200, describeAnswer(answer))
  const ofB = await http(c.url, '/v1/events', { token: tokens.admin.token, body: [testEvent('AuthB', { message: 'seed of the B desk' })] })
  assert.equal(ofB.status, 200, describeAnswer(ofB))
})
after(async () => {
  closeHttp()
  await owner.run()
})

function call(endpoint: Endpoint, headers: Record<string, string>, collector = c): Promise<HttpAnswer> {
  return http(collector.url, endpoint.path, { method: endpoint.method, headers, body: endpoint.body?.() })
}

function assertRefused(answer: HttpAnswer, status: number, code: string, what: string): void {
  assert.equal(answer.status, status, `${what}: expected ${status} ${code}, saw ${describeAnswer(answer)}`)
  const error = errorOf(answer)
  assert.equal(error.code, code, `${what}: expected ${code}, saw ${describeAnswer(answer)}`)
  assert.ok(error.message.length > 10, `${what}: the message says what to fix`)
}

/** Runs `fn` and checks it stored no producer event and created no token. */
async function storesNothing(fn: () => Promise<void>): Promise<void> {
  const counts = await producerCounts(c.url, tokens.admin.token)
  const listed = (await http(c.url, '/v1/tokens', { token: tokens.admin.token })).json<{ tokens: unknown[] }>().tokens.length
  await fn()
  assert.deepEqual(await producerCounts(c.url, tokens.admin.token), counts, 'refused requests stored no event')
  assert.equal((await http(c.url, '/v1/tokens', { token: tokens.admin.token })).json<{ tokens: unknown[] }>().tokens.length, listed, 'refused requests created no token')
}

test('the right token is let in on every endpoint (the matrix below is not vacuous)', async () => {
  const byScope: Record<Scope, string> = { ingest: tokens.ingestA.token, read: tokens.read.token, admin: tokens.admin.token }
  for (const endpoint of endpoints()) {
    for (const scope of endpoint.scopes) {
      const answer = await call(endpoint, { authorization: `Bearer ${byScope[scope]}` })
      const expected = endpoint.path.startsWith('/v1/tokens/') ? 404 : endpoint.method === 'POST' && endpoint.path === '/v1/tokens' ? 201 : 200
      assert.equal(answer.status, expected, `${endpoint.method} ${endpoint.path} with a ${scope} token: ${describeAnswer(answer)}`)
      if (endpoint.path === '/v1/tokens' && endpoint.method === 'POST') remember(answer.json<{ token: string }>().token)
    }
  }
})

test('no token, a malformed header or a wrong token is refused with 401 on every endpoint', async () => {
  const wrong = [
    remember(`tt_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`),
    remember(`tt_${tokens.admin.id}_${randomBytes(32).toString('base64url')}`),
    remember(tokens.admin.token.slice(0, -1) + (tokens.admin.token.endsWith('A') ? 'B' : 'A')),
    remember('tt_short_secret'),
    remember(randomBytes(20).toString('hex')),
  ]
  const malformed = ['Basic dXNlcjpwYXNzd29yZA==', 'Bearer', 'Bearer ', tokens.admin.token, `Bearer ${tokens.admin.token} extra`, `Token ${tokens.admin.token}`]
  await storesNothing(async () => {
    for (const endpoint of endpoints()) {
      const what = `${endpoint.method} ${endpoint.path}`
      assertRefused(await call(endpoint, {}), 401, 'TT_ERR_AUTH_MISSING', `${what} without a token`)
      assertRefused(await call(endpoint, { authorization: '' }), 401, 'TT_ERR_AUTH_MISSING', `${what} with an empty Authorization`)
      for (const header of malformed) {
        assertRefused(await call(endpoint, { authorization: header }), 401, 'TT_ERR_AUTH_INVALID', `${what} with Authorization: ${header.slice(0, 20)}…`)
      }
      for (const token of wrong) {
        assertRefused(await call(endpoint, { authorization: `Bearer ${token}` }), 401, 'TT_ERR_AUTH_INVALID', `${what} with a wrong token`)
      }
    }
  })
})

test('a token revoked offline through the CLI while the collector runs, or through DELETE /v1/tokens/:id, is refused at once', async () => {
  const readEndpoint = endpoints()[3]!
  const ingestEndpoint = endpoints()[0]!
  assert.equal((await call(readEndpoint, { authorization: `Bearer ${tokens.revokedCli.token}` })).status, 200, 'works before revocation')
  assert.equal((await call(ingestEndpoint, { authorization: `Bearer ${tokens.revokedApi.token}` })).status, 200, 'works before revocation')

  const revoked = await runCli(['token', 'revoke', tokens.revokedCli.id, '--json'], { dataDir: c.dataDir })
  assert.equal(revoked.code, 0, describeRun(revoked))
  assert.deepEqual(JSON.parse(revoked.stdout), { id: tokens.revokedCli.id, revoked: true })
  const unknown = await runCli(['token', 'revoke', '0123456789ab'], { dataDir: c.dataDir })
  assert.equal(unknown.code, 1, describeRun(unknown))
  assert.match(unknown.stderr, /token 0123456789ab was not found/)
  const deleted = await http(c.url, `/v1/tokens/${tokens.revokedApi.id}`, { method: 'DELETE', token: tokens.admin.token })
  assert.equal(deleted.status, 200, describeAnswer(deleted))
  assert.deepEqual(deleted.json(), { id: tokens.revokedApi.id, revoked: true })

  await storesNothing(async () => {
    for (const endpoint of endpoints()) {
      for (const token of [tokens.revokedCli, tokens.revokedApi]) {
        const answer = await call(endpoint, { authorization: `Bearer ${token.token}` })
        assertRefused(answer, 401, 'TT_ERR_AUTH_INVALID', `${endpoint.method} ${endpoint.path} with token ${token.id}, revoked`)
        assert.match(errorOf(answer).message, /revoked/)
      }
    }
  })
  const listed = (await http(c.url, '/v1/tokens', { token: tokens.admin.token })).json<{ tokens: Array<{ id: string; revoked_at: string | null }> }>().tokens
  for (const t of [tokens.revokedCli, tokens.revokedApi]) assert.ok(listed.find((l) => l.id === t.id)?.revoked_at, `token ${t.id} is listed as revoked`)
})

test('a token of the wrong scope is refused with 403 TT_ERR_AUTH_SCOPE', async () => {
  const byScope: Record<Scope, string> = { ingest: tokens.ingestA.token, read: tokens.read.token, admin: tokens.admin.token }
  let refusals = 0
  await storesNothing(async () => {
    for (const endpoint of endpoints()) {
      for (const scope of ['ingest', 'read'] as const) {
        if (endpoint.scopes.includes(scope)) continue
        assertRefused(await call(endpoint, { authorization: `Bearer ${byScope[scope]}` }), 403, 'TT_ERR_AUTH_SCOPE', `${endpoint.method} ${endpoint.path} with a ${scope} token`)
        refusals++
      }
    }
  })
  // ingest on 9 reads and 4 token routes; read on POST /v1/events and 4 token routes.
  assert.equal(refusals, 18)
})

test('an ingest token may not write another project: 403 TT_ERR_AUTH_PROJECT with the index, nothing stored', async () => {
  await storesNothing(async () => {
    const own = testEvent('AuthA', { message: 'mine' })
    const foreign = testEvent('AuthB', { message: 'not mine' })
    const answer = await http(c.url, '/v1/events', { token: tokens.ingestA.token, body: [own, foreign, testEvent('AuthA')] })
    assertRefused(answer, 403, 'TT_ERR_AUTH_PROJECT', 'a batch with one event of project AuthB')
    assert.deepEqual(errorOf(answer).problems?.map((p) => [p.index, p.path, p.code]), [[1, '/project', 'TT_ERR_AUTH_PROJECT']])
    assert.match(errorOf(answer).message, /AuthB/)
    const lone = await http(c.url, '/v1/events', { token: tokens.ingestA.token, body: testEvent('AuthB') })
    assertRefused(lone, 403, 'TT_ERR_AUTH_PROJECT', 'a single event of project AuthB')
    assert.equal(errorOf(lone).problems?.[0]?.index, 0)
    const nd = await http(c.url, '/v1/events', { token: tokens.ingestA.token, body: `${JSON.stringify(own)}\n${JSON.stringify(foreign)}\n`, headers: { 'content-type': 'application/x-ndjson' } })
    assertRefused(nd, 403, 'TT_ERR_AUTH_PROJECT', 'NDJSON with an event of project AuthB')
    assert.equal((await http(c.url, `/v1/events/${own.id}`, { token: tokens.read.token })).status, 404, 'the own-project event of a refused batch is not stored')
  })
})

test('POST /v1/tokens refuses a malformed token request with a body or token error code', async () => {
  for (const body of [[], { scope: 'read', owner: 'me' }, { scope: 'ingest', projects: 'AuthA' }]) {
    const answer = await http(c.url, '/v1/tokens', { token: tokens.admin.token, body })
    assert.equal(answer.status, 400, describeAnswer(answer))
    assert.match(errorOf(answer).code, /^TT_ERR_(BODY_INVALID|TOKEN_(BODY|FIELD))$/, `${JSON.stringify(body)}: expected TT_ERR_BODY_INVALID or TT_ERR_TOKEN_BODY/FIELD, saw ${describeAnswer(answer)}`)
    assert.doesNotMatch(errorOf(answer).message, /query parameter/, describeAnswer(answer))
  }
})

test('POST /v1/tokens names what is wrong with each token request, in one code per mistake', async () => {
  const cases: Array<[unknown, string, RegExp]> = [
    [[], 'TT_ERR_TOKEN_BODY', /must be a JSON object/],
    [{ scope: 'read', owner: 'me' }, 'TT_ERR_TOKEN_FIELD', /"owner" is not a token field/],
    [{ scope: 'ingest', projects: 'AuthA' }, 'TT_ERR_TOKEN_FIELD', /"projects" must be an array of strings/],
    [{ scope: 'root' }, 'TT_ERR_TOKEN_SCOPE', /"root" is not known; it must be one of ingest, read, admin/],
    [{ scope: 'ingest' }, 'TT_ERR_TOKEN_PROJECT_MISSING', /--project/],
    [{ scope: 'admin', projects: ['AuthA'] }, 'TT_ERR_TOKEN_NOT_INGEST', /projects apply to ingest and read tokens only/],
    [{ scope: 'read', privileges: ['execute_trade'] }, 'TT_ERR_TOKEN_NOT_INGEST', /privileges apply to ingest tokens only/],
    [{ scope: 'read', projects: ['no spaces'] }, 'TT_ERR_TOKEN_PROJECT', /"no spaces"/],
    [{ scope: 'read', expires_in: 30 }, 'TT_ERR_TOKEN_FIELD', /"expires_in" must be a string/],
    [{ scope: 'read', expires_in: 'a month' }, 'TT_ERR_TOKEN_TIME', /expires_in \(--expires-in\) must be a duration such as 12h, 30d or 1y, got "a month"/],
    [{ scope: 'read', expires_in: '0d' }, 'TT_ERR_TOKEN_TIME', /must be a duration/],
    [{ scope: 'read', expires_at: '2025-13-01T00:00:00Z' }, 'TT_ERR_TOKEN_TIME', /expires_at \(--expires-at\) must be an RFC 3339 UTC time/],
    [{ scope: 'read', expires_at: '2020-01-01T00:00:00Z' }, 'TT_ERR_TOKEN_TIME', /must be in the future/],
    [{ scope: 'read', expires_in: '1d', expires_at: '2999-01-01T00:00:00Z' }, 'TT_ERR_TOKEN_TIME', /exclude each other/],
    [{ scope: 'ingest', projects: ['no spaces'] }, 'TT_ERR_TOKEN_PROJECT', /"no spaces"/],
    [{ scope: 'ingest', projects: ['AuthA'], privileges: ['Execute Trade'] }, 'TT_ERR_TOKEN_PRIVILEGE', /"Execute Trade" must look like execute_trade/],
    [{ scope: 'read', label: 'x'.repeat(201) }, 'TT_ERR_TOKEN_FIELD', /"label" must be at most 200 characters/],
  ]
  for (const [body, code, says] of cases) {
    const answer = await http(c.url, '/v1/tokens', { token: tokens.admin.token, body })
    assert.equal(answer.status, 400, describeAnswer(answer))
    assert.equal(errorOf(answer).code, code, `${JSON.stringify(body).slice(0, 80)}: ${describeAnswer(answer)}`)
    assert.match(errorOf(answer).message, says, describeAnswer(answer))
  }
  const unknown = await http(c.url, '/v1/tokens/0123456789ab', { method: 'DELETE', token: tokens.admin.token })
  assert.equal(unknown.status, 404, describeAnswer(unknown))
  assert.equal(errorOf(unknown).code, 'TT_ERR_TOKEN_NOT_FOUND')
  assert.match(errorOf(unknown).message, /tradetrail token list/)
})

test('a read token limited to a project sees that project only, by every read endpoint; the whole-trail ones refuse it', async () => {
  const limited = { authorization: `Bearer ${tokens.readB.token}` }
  const projectsIn = (text: string): string[] => [...new Set(text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { project: string }).project))].sort()
  // Each read endpoint of the matrix, and what the AuthB desk gets there: a new read endpoint must be added here.
  const expectations: Record<string, (answer: HttpAnswer) => void> = {
    '/v1/events': (a) => assert.deepEqual([...new Set(a.json<{ events: Array<{ project: string }> }>().events.map((e) => e.project))], ['AuthB']),
    [`/v1/events/${knownId}`]: (a) => assertRefused(a, 404, 'TT_ERR_EVENT_NOT_FOUND', 'an event of AuthA, by id'),
    '/v1/stats': (a) => assert.deepEqual(a.json<{ by_project: Record<string, number> }>().by_project, { AuthB: 1 }),
    '/v1/summary?period=day': (a) => {
      const summary = a.json<{ stats: { by_project: Record<string, number> }; recent: Array<{ project: string }>; text: string; chain?: unknown }>()
      assert.deepEqual(Object.keys(summary.stats.by_project), ['AuthB'])
      assert.deepEqual([...new Set(summary.recent.map((e) => e.project))], ['AuthB'])
      assert.doesNotMatch(summary.text, /AuthA|tradetrail/)
      // The chain's head and signature are the whole trail's, as /v1/checkpoints is.
      assert.equal(summary.chain, undefined)
      assert.doesNotMatch(summary.text, /Chain head|signature/)
    },
    '/v1/export?format=jsonl&project=AuthA': (a) => assertRefused(a, 403, 'TT_ERR_AUTH_PROJECT', 'an export of AuthA'),
    '/v1/export?format=csv&project=AuthA': (a) => assertRefused(a, 403, 'TT_ERR_AUTH_PROJECT', 'a CSV export of AuthA'),
    '/v1/verify': (a) => assertRefused(a, 403, 'TT_ERR_AUTH_WHOLE_TRAIL', 'verify'),
    '/v1/checkpoints': (a) => assertRefused(a, 403, 'TT_ERR_AUTH_WHOLE_TRAIL', 'checkpoints'),
    '/metrics': (a) => assertRefused(a, 403, 'TT_ERR_AUTH_WHOLE_TRAIL', 'metrics'),
  }
  const reads = endpoints().filter((e) => e.scopes.includes('read') && !e.scopes.includes('ingest'))
  assert.deepEqual(reads.map((e) => e.path).sort(), Object.keys(expectations).sort(), 'every read endpoint has its expectation')
  await storesNothing(async () => {
    for (const endpoint of reads) {
      const answer = await call(endpoint, limited)
      try {
        expectations[endpoint.path]!(answer)
      } catch (error) {
        throw new Error(`${endpoint.method} ${endpoint.path} with a token for AuthB: ${(error as Error).message}; saw ${describeAnswer(answer)}`)
      }
    }
  })
  // The other ways to ask for AuthA's events through the same endpoints.
  for (const path of ['/v1/events?project=AuthA', '/v1/events?project=AuthA&q=seed', '/v1/stats?project=AuthA', '/v1/export?project=AuthA&since=1d']) {
    const answer = await http(c.url, path, { headers: limited })
    assertRefused(answer, 403, 'TT_ERR_AUTH_PROJECT', path)
    assert.match(errorOf(answer).message, /may not read project "AuthA"/)
  }
  const searched = await http(c.url, '/v1/events?q=seed', { headers: limited })
  assert.deepEqual(searched.json<{ events: Array<{ message: string }> }>().events.map((e) => e.message), ['seed of the B desk'], describeAnswer(searched))
  const exported = await http(c.url, '/v1/export?format=jsonl', { headers: limited })
  assert.deepEqual(projectsIn(exported.text), ['AuthB'], describeAnswer(exported))
  const csv = await http(c.url, '/v1/export?format=csv', { headers: limited })
  assert.equal(csv.text.trim().split('\r\n').length, 2, `the header and AuthB's one event: ${describeAnswer(csv)}`)
  // Not vacuous: a read token for every project sees AuthA's events there.
  assert.deepEqual(projectsIn((await http(c.url, '/v1/export?format=jsonl&project=AuthA', { token: tokens.read.token })).text), ['AuthA'])
  const listed = (await http(c.url, '/v1/tokens', { token: tokens.admin.token })).json<{ tokens: Array<{ id: string; projects: string[] }> }>().tokens
  assert.deepEqual(listed.find((t) => t.id === tokens.readB.id)?.projects, ['AuthB'])
})

test('token … --url reports an unreachable collector and a collector\'s refusal by their own codes', async () => {
  const wrong = remember(`tt_000000000000_${'A'.repeat(43)}`)
  const refused = await runCli(['token', 'list', '--url', c.url, '--token', wrong], { dataDir: c.dataDir })
  assert.equal(refused.code, 1, describeRun(refused))
  assert.match(refused.stderr, /TT_ERR_COLLECTOR_REFUSED/)
  assert.match(refused.stderr, /401 TT_ERR_AUTH_INVALID/, 'the collector\'s own code is quoted')
  // A port that was free a moment ago: nothing listens there.
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  const unreachable = await runCli(['token', 'list', '--url', `http://127.0.0.1:${port}`, '--token', wrong], { dataDir: c.dataDir })
  assert.equal(unreachable.code, 1, describeRun(unreachable))
  assert.match(unreachable.stderr, /cannot be reached \(ECONNREFUSED\).*TT_ERR_COLLECTOR_UNREACHABLE/)
  const noToken = await runCli(['token', 'list', '--url', c.url], { dataDir: c.dataDir })
  assert.equal(noToken.code, 2, describeRun(noToken))
  assert.match(noToken.stderr, /--url needs an admin token.*TT_ERR_CLI_USAGE/)
})

test('/healthz and /readyz are public, whatever the Authorization header', async () => {
  for (const path of ['/healthz', '/readyz']) {
    for (const headers of [{}, { authorization: 'Bearer tt_nonsense' }, { authorization: `Bearer ${tokens.revokedCli.token}` }]) {
      const answer = await http(c.url, path, { headers })
      assert.equal(answer.status, 200, `${path} ${JSON.stringify(headers).slice(0, 40)}: ${describeAnswer(answer)}`)
    }
  }
})

test('past the burst (TRADETRAIL_RATE_LIMIT_BURST=5) the 6th quick request is refused with 429 and Retry-After, per token', async () => {
  const created = await http(limited.url, '/v1/tokens', { token: limited.adminToken!, body: { scope: 'read' } })
  assert.equal(created.status, 201, describeAnswer(created))
  const reader = remember(created.json<{ token: string }>().token)
  const answers = await Promise.all(Array.from({ length: 6 }, () => http(limited.url, '/v1/stats', { token: reader })))
  const statuses = answers.map((a) => a.status).sort()
  assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429], `six requests at once: ${answers.map(describeAnswer).join(' | ')}`)
  const refused = answers.find((a) => a.status === 429)!
  assertRefused(refused, 429, 'TT_ERR_AUTH_RATE_LIMITED', 'the 6th request')
  const retryAfter = refused.headers['retry-after']
  assert.match(String(retryAfter), /^[1-9]\d*$/, `Retry-After is a whole number of seconds, saw ${retryAfter}`)

  const other = await http(limited.url, '/v1/stats', { token: limited.adminToken! })
  assert.equal(other.status, 200, `another token has its own budget: ${describeAnswer(other)}`)
  const noToken = await http(limited.url, '/v1/stats')
  assert.equal(noToken.status, 401, 'a request without a token is refused for that, not counted against anyone')

  await waitFor(() => http(limited.url, '/v1/stats', { token: reader }), (a) => a.status === 200, {
    describe: `the token to be let in again after Retry-After (${retryAfter} s)`, timeoutMs: Number(retryAfter) * 1000 + 5000, intervalMs: 100,
    show: describeAnswer,
  })
})

test('token secrets never appear in logs, metrics or the trail; only the one-time admin banner shows one', async () => {
  // Some more traffic that logs: a refused bad token, a 404, a request that fails inside the
  // collector (data nested too deep for it today: logged at error level), a token made and revoked.
  await http(c.url, '/v1/stats', { headers: { authorization: `Bearer ${remember(`tt_${randomBytes(6).toString('hex')}_${randomBytes(32).toString('base64url')}`)}` } })
  await http(c.url, '/no/such/route', { token: tokens.admin.token })
  const deep = '{"k":'.repeat(50_000) + '1' + '}'.repeat(50_000)
  await http(c.url, '/v1/events', { token: tokens.ingestA.token, body: `[{"project":"AuthA","message":"deep","data":${deep}}]`, headers: { 'content-type': 'application/json' } })
  const temp = await createToken({ scope: 'ingest', projects: ['*'] })
  await http(c.url, `/v1/tokens/${temp.id}`, { method: 'DELETE', token: tokens.admin.token })
  assert.ok(secrets.size >= 20, `collected ${secrets.size} secrets`)

  const metrics = await http(c.url, '/metrics', { token: tokens.read.token })
  assert.equal(metrics.status, 200)
  assert.doesNotMatch(metrics.text, /tt_[0-9a-f]{12}_/, '/metrics shows no token')
  for (const s of secrets) assert.ok(!metrics.text.includes(s), '/metrics shows no token secret')

  const trail = await http(c.url, '/v1/export?format=jsonl', { token: tokens.read.token })
  assert.equal(trail.status, 200)
  assert.ok(trail.text.includes('token_created') && trail.text.includes('token_revoked'), 'the trail records token changes')
  for (const s of secrets) assert.ok(!trail.text.includes(s), 'the trail records token changes without their secrets')

  const output = c.stdout() + '\n' + c.stderr()
  assert.ok(output.length > 0)
  const banner = [`  token: ${c.adminToken}`, `Dashboard: ${c.url}/#token=${c.adminToken} (signs in with this admin token)`]
  const leaks = output.split('\n').filter((line) => !banner.includes(line) && [...secrets].some((s) => line.includes(s)))
  assert.deepEqual(leaks, [], 'no log line holds a token secret, apart from the first-start banner')
  assert.doesNotMatch(output, /Bearer /i, 'no Authorization header is logged')
  for (const line of banner) assert.equal(output.split('\n').filter((l) => l === line).length, 1, 'the banner shows the admin token once, and the dashboard URL that signs in with it once')
})
