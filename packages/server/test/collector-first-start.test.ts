/**
 * The first start never loses the admin token: it is created only once the collector listens,
 * recorded in the trail as `token_created`, and shown once in the banner, which names only what
 * exists. A start that fails (the port is taken) leaves no token behind.
 */
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { describeAnswer, http, runCli, sharedDataDir, spawnCollector } from '@tradetrail/test-support'

async function tokenList(dataDir: string): Promise<Array<{ id: string; scope: string; revoked_at: string | null }>> {
  const list = await runCli(['--json', 'token', 'list'], { dataDir })
  assert.equal(list.code, 0, list.stderr)
  return JSON.parse(list.stdout)
}

test('a start on a taken port fails naming the port and leaves no token; the next start shows a usable admin token, recorded as token_created', async (t) => {
  const dataDir = sharedDataDir(t)
  const squatter = createServer()
  t.after(() => squatter.close())
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve))
  const port = (squatter.address() as { port: number }).port

  const failed = await runCli(['serve', '--port', String(port)], { dataDir })
  assert.equal(failed.code, 1, `the start must fail: ${failed.stdout} ${failed.stderr}`)
  assert.match(failed.stderr, new RegExp(`the collector cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\): another process listens there; stop it, or choose another port .*\\(TT_ERR_COLLECTOR_LISTEN\\)`))
  assert.doesNotMatch(failed.stdout + failed.stderr, /tt_[0-9a-f]{12}_/, 'no token is shown by a start that failed')
  assert.deepEqual(await tokenList(dataDir), [], 'and none is stored unshown')

  const c = await spawnCollector(t, { dataDir })
  const admin = c.adminToken
  assert.ok(admin !== undefined, `the banner shows the first admin token: ${c.stdout()}`)
  const id = /^tt_([0-9a-f]{12})_/.exec(admin)![1]!
  assert.match(c.stdout(), new RegExp(`First start: admin token ${id} was created`))
  assert.match(c.stdout(), new RegExp(`^SDK and examples: export TRADETRAIL_URL=${c.url} `, 'm'), 'the banner says how to point the SDK here')
  assert.match(c.stdout(), new RegExp(`^Dashboard: ${c.url}/#token=${admin} `, 'm'), 'the banner names the dashboard, signed in through the fragment (browsers never send it)')
  const page = await http(c.url, '/')
  assert.match(page.text, /<script type="module" src="\/assets\/app.js">/, `and the collector serves it at /: ${describeAnswer(page)}`)
  const created = await http(c.url, '/v1/events?project=tradetrail&type=token_created', { token: admin })
  assert.equal(created.status, 200, `the token is usable: ${describeAnswer(created)}`)
  const events = created.json<{ events: Array<{ message: string; data: { id: string; scope: string } }> }>().events
  assert.deepEqual(events.map((e) => [e.data.id, e.data.scope]), [[id, 'admin']], 'its creation is in the trail, once')
  assert.equal((await c.stop()).code, 0)

  const again = await spawnCollector(t, { dataDir })
  assert.equal(again.adminToken, undefined, `a later start shows no token: ${again.stdout()}`)
  assert.match(again.stdout(), /^Tokens: tradetrail --data-dir .* token create --scope ingest --project NAME/m, 'it says how to make one')
  assert.match(again.stdout(), new RegExp(`^Dashboard: ${again.url}/ \\(sign in with a read token\\)$`, 'm'), 'and where the dashboard is')
  assert.deepEqual((await tokenList(dataDir)).map((token) => [token.id, token.scope]), [[id, 'admin']], 'and creates none')
})
