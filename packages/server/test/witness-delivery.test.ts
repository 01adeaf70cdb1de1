/**
 * Checkpoints and anchors leave the machine as they are signed: to a witness directory and to
 * a witness endpoint (a real HTTP server here) that refuses connections, answers 500 or hangs
 * before it takes anything. Every record arrives once by idempotency key, in order, on the
 * backoff schedule of the injected clock, across restarts of the collector; a witness directory
 * holds every one, never written twice.
 */
import assert from 'node:assert/strict'
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { type Checkpoint, ManualClock, formatMicros, validateBatch } from '@tradetrail/core'
import { describeAnswer, describeRun, errorLines, http, runCli, sharedDataDir, spawnCollector, testEvent, tempDir, waitFor } from '@tradetrail/test-support'
import { type TradetrailConfig, loadConfig } from '../src/config.ts'
import { SqliteEventStore } from '../src/stores/sqlite/sqlite-event-store.ts'
import { DATABASE_FILE, type OpenTrailOptions, type Trail, openTrail } from '../src/trail/open-trail.ts'
import { type WitnessRecord, witnessFileName, witnessKey } from '../src/witness/witness-record.ts'
import { selfSignedCertificate } from './helpers/tls.ts'

const YEAR_MS = 365 * 86_400_000

/** What one POST brought. */
interface Received {
  key: string
  authorization: string | undefined
  contentType: string | undefined
  body: WitnessRecord
  /** The injected clock's time when it arrived (when the test gave one). */
  atMicros: number | undefined
}

/**
 * A witness endpoint: answers the first POSTs as `script` says (`500`, or `hang`: never), the
 * rest 200, and keeps each record once per Idempotency-Key, in the order of first arrival.
 */
class Receiver {
  readonly requests: Received[] = []
  readonly held = new Map<string, WitnessRecord>()
  readonly #server: Server
  readonly #script: Array<'500' | 'hang'>

  private constructor(server: Server, script: Array<'500' | 'hang'>, clock: ManualClock | undefined) {
    this.#server = server
    this.#script = [...script]
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WitnessRecord
        const key = String(req.headers['idempotency-key'])
        this.requests.push({ key, authorization: req.headers.authorization, contentType: req.headers['content-type'], body, atMicros: clock?.nowMicros() })
        const step = this.#script.shift()
        if (step === 'hang') return
        if (step === '500') return void res.writeHead(500).end('busy')
        if (!this.held.has(key)) this.held.set(key, body)
        res.writeHead(201, { 'content-type': 'application/json' }).end('{"stored":true}')
      })
    })
  }

  static async listen(port: number, script: Array<'500' | 'hang'> = [], clock?: ManualClock, tls?: { cert: Buffer; key: Buffer }): Promise<Receiver> {
    const server = tls ? createHttpsServer(tls) : createServer()
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve))
    return new Receiver(server, script, clock)
  }

  get port(): number { return (this.#server.address() as AddressInfo).port }

  async close(): Promise<void> {
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }
}

/** A port nothing listens on (for now): connecting to it is refused. */
async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const { port } = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

/** The configuration of a test trail: `flags` and `env` as a command line and environment would give them. */
function config(dataDir: string, flags: Partial<Record<keyof TradetrailConfig, string>>, env: NodeJS.ProcessEnv = {}): Readonly<TradetrailConfig> {
  return loadConfig({ env, flags: { dataDir, ...flags } })
}

/** Every checkpoint of the trail in `dataDir`, read from its file. */
async function trailCheckpoints(dataDir: string): Promise<Checkpoint[]> {
  const store = new SqliteEventStore({ path: join(dataDir, DATABASE_FILE), readonly: true })
  try {
    return await store.checkpoints()
  } finally {
    await store.close()
  }
}

const asRecord = (c: Checkpoint): WitnessRecord => ({ kind: 'checkpoint', ...c })

async function submit(trail: Trail, clock: ManualClock, messages: string[]): Promise<void> {
  for (const message of messages) await trail.submit(validateBatch([{ project: 'WitnessBot', message }], { nowMicros: clock.nowMicros() }), 'test')
}

test('a dead endpoint (connection refused, 500s, a hang past the timeout) then a live one: every checkpoint arrives once by idempotency key, in order, on the backoff schedule', async (t) => {
  const dataDir = join(tempDir(t, 'tt-witness-http'), 'data')
  const port = await freePort()
  const clock = new ManualClock()
  const t0 = clock.nowMicros()
  const failures: Array<{ code: string; message: string; retryInMs: number | undefined }> = []
  const hooks: OpenTrailOptions['witnessHooks'] = {
    onFailure: (_witness, error, retryInMs) => failures.push({ code: (error as { code: string }).code, message: (error as Error).message, retryInMs }),
  }
  const trail = await openTrail(config(dataDir, {
    checkpointEvery: '1', witnessUrl: `http://127.0.0.1:${port}/witness`, witnessTimeoutMs: '3s', witnessRetryMaxMs: '4s',
  }, { TRADETRAIL_WITNESS_TOKEN: 'w1tness-s3cret' }), { role: 'collector', clock, onWarning: () => {}, witnessHooks: hooks })
  let receiver: Receiver | undefined
  try {
    await submit(trail, clock, ['one', 'two', 'three'])
    const signed = (await trail.store.checkpoints()).map(asRecord)
    assert.deepEqual(signed.map((c) => c.seq), [1, 2, 3], 'checkpointEvery 1: one checkpoint per commit')
    const failed = (n: number): Promise<unknown> => waitFor(() => failures.length, (seen) => seen === n, { describe: `failed attempt ${n}` })
    const retryAt = async (): Promise<string | null> => (await trail.witnesses!.status())[0]!.retry_at

    await failed(1)
    assert.deepEqual([failures[0]!.code, failures[0]!.retryInMs], ['TT_ERR_WITNESS_DELIVERY', 1000])
    assert.match(failures[0]!.message, /witness http:\/\/127\.0\.0\.1:\d+\/witness did not take the checkpoint at seq 1 \(ECONNREFUSED\)/)
    const [down] = await trail.witnesses!.status()
    assert.deepEqual({ ...down, last_error: down!.last_error?.code }, {
      witness: 'http', where: `http://127.0.0.1:${port}/witness`, delivered: { checkpoint: 0, anchor: 0 }, pending: 3, failures: 1,
      last_error: 'TT_ERR_WITNESS_DELIVERY', last_delivered_at: null, retry_at: formatMicros(t0 + 1_000_000),
    })

    receiver = await Receiver.listen(port, ['500', '500', 'hang'], clock)
    clock.advanceMs(1000)
    await failed(2)
    assert.match(failures[1]!.message, /\(HTTP 500\)/)
    assert.equal(await retryAt(), formatMicros(t0 + 3_000_000), 'then 2 s')
    clock.advanceMs(2000)
    await failed(3)
    assert.equal(await retryAt(), formatMicros(t0 + 7_000_000), 'then 4 s')
    clock.advanceMs(4000)
    await waitFor(() => receiver!.requests.length, (n) => n === 3, { describe: 'the third answer to hang' })
    clock.advanceMs(3000)
    await failed(4)
    assert.match(failures[3]!.message, /\(no answer within 3000 ms\)/)
    assert.equal(await retryAt(), formatMicros(t0 + 14_000_000), 'then 4 s again: witnessRetryMaxMs caps the doubling')
    assert.equal(receiver.held.size, 0, 'nothing was taken so far')

    clock.advanceMs(4000)
    await waitFor(() => receiver!.held.size, (n) => n === 3, { describe: 'all three checkpoints taken' })
    assert.deepEqual(receiver.requests.map((r) => r.atMicros! - t0), [1, 3, 7, 14, 14, 14].map((s) => s * 1_000_000), 'attempts at 1 s, 3 s, 7 s (hung), 14 s')
    assert.deepEqual([...receiver.held.keys()], signed.map(witnessKey), 'each checkpoint once, in seq order')
    assert.deepEqual([...receiver.held.values()], signed, 'each as the trail signed and keeps it')
    assert.equal(new Set(receiver.requests.map((r) => r.key)).size, 3, 'the retries of checkpoint 1 carried its one idempotency key')
    for (const r of receiver.requests) assert.deepEqual([r.authorization, r.contentType], ['Bearer w1tness-s3cret', 'application/json'])
    const [caughtUp] = await trail.witnesses!.status()
    assert.deepEqual([caughtUp!.pending, caughtUp!.failures, caughtUp!.last_error, caughtUp!.retry_at, caughtUp!.delivered], [0, 0, null, null, { checkpoint: 3, anchor: 0 }])

    // Later checkpoints go as they are signed, without waiting for the poll.
    await submit(trail, clock, ['four'])
    await waitFor(() => receiver!.held.size, (n) => n === 4, { describe: 'checkpoint 4 taken at once' })
  } finally {
    await trail.close()
    await receiver?.close()
  }
})

test('an HTTPS endpoint with a self-signed certificate is trusted only through witnessCa; a command delivers what is pending when it closes', async (t) => {
  const tls = selfSignedCertificate(t)
  if (tls === undefined) return
  const { cert, key } = tls
  const receiver = await Receiver.listen(0, [], undefined, { cert: readFileSync(cert), key: readFileSync(key) })
  t.after(() => receiver.close())
  const dataDir = join(tempDir(t, 'tt-witness-tls'), 'data')
  const url = `https://127.0.0.1:${receiver.port}/witness`
  const clock = new ManualClock(Date.now())
  const warnings: string[] = []

  const onWarning = (warning: string): void => { if (warning.startsWith('witness ')) warnings.push(warning) }
  const untrusted = await openTrail(config(dataDir, { witnessUrl: url }), { role: 'command', clock, onWarning })
  await submit(untrusted, clock, ['signed, but the endpoint is not trusted yet'])
  await untrusted.close()
  assert.equal(receiver.held.size, 0)
  assert.equal(warnings.length, 1, `one warning: ${warnings.join(' | ')}`)
  assert.match(warnings[0]!, /did not take the checkpoint at seq 1 \((DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\); it stays pending/)

  const trusted = await openTrail(config(dataDir, { witnessUrl: url, witnessCa: cert }), { role: 'command', clock, onWarning })
  await submit(trusted, clock, ['and one more'])
  await trusted.close()
  assert.equal(warnings.length, 1, `no further warning: ${warnings.join(' | ')}`)
  const signed = (await trailCheckpoints(dataDir)).map(asRecord)
  assert.deepEqual(signed.map((c) => c.seq), [1, 2])
  assert.deepEqual([...receiver.held.values()], signed, 'the one left pending, then the new one, in order')
})

test('a witness directory holds every checkpoint and anchor, one read-only file each, and never writes a file twice', async (t) => {
  const dir = tempDir(t, 'tt-witness-dir')
  const dataDir = join(dir, 'data')
  const witnessDir = join(dir, 'worm')
  const clock = new ManualClock(Date.now() - 7 * YEAR_MS)
  const failures: Array<{ code: string; message: string }> = []
  const open = (): Promise<Trail> => openTrail(config(dataDir, { checkpointEvery: '2', witnessDir }), {
    role: 'command', clock, onWarning: () => {}, witnessHooks: { onFailure: (_w, error) => failures.push(error as { code: string; message: string }) },
  })
  const trail = await open()
  await submit(trail, clock, ['a', 'b', 'c', 'd', 'e'])
  clock.setMs(Date.now())
  await submit(trail, clock, ['f', 'g', 'h'])
  const purge = await trail.purge(6 * YEAR_MS)
  assert.equal(purge.purged, 5, 'the events of seven years ago')
  await trail.close()
  assert.equal(failures.length, 0, JSON.stringify(failures))

  const keyDir = join(witnessDir, trail.signer.keyId)
  const expected: WitnessRecord[] = [
    ...(await trailCheckpoints(dataDir)).map(asRecord),
    { kind: 'anchor', ...purge.anchor! },
  ]
  assert.ok(expected.length >= 5, `several checkpoints and the anchor: ${expected.map((r) => `${r.kind} ${r.seq}`).join(', ')}`)
  const files = readdirSync(keyDir).sort()
  assert.deepEqual(files, expected.map(witnessFileName).sort(), 'one file per record, nothing else (no temporary files)')
  for (const record of expected) {
    const path = join(keyDir, witnessFileName(record))
    assert.equal(readFileSync(path, 'utf8'), JSON.stringify(record) + '\n')
    assert.equal(statSync(path).mode & 0o777, 0o444, `${path} is read-only`)
  }

  // A crash after a file was written but before the cursor moved (here: every cursor lost), with
  // one file cut short: delivering again completes that file and leaves the others as they are.
  const torn = join(keyDir, witnessFileName(expected[1]!))
  chmodSync(torn, 0o644)
  truncateSync(torn, 40)
  const before = new Map(files.map((f) => [f, statSync(join(keyDir, f))]))
  const db = new Database(join(dataDir, DATABASE_FILE))
  db.prepare("DELETE FROM cursors WHERE name LIKE 'witness:%'").run()
  const reopened = await open()
  await reopened.close()
  assert.equal(failures.length, 0, JSON.stringify(failures))
  assert.equal(readFileSync(torn, 'utf8'), JSON.stringify(expected[1]) + '\n', 'the cut file was completed')
  for (const f of files.filter((f) => join(keyDir, f) !== torn)) {
    const now = statSync(join(keyDir, f))
    assert.deepEqual([now.ino, now.mtimeMs], [before.get(f)!.ino, before.get(f)!.mtimeMs], `${f} was not written again`)
  }

  // A file holding another record for that seq is a conflict: reported, left alone, and nothing after it goes.
  const conflicting = join(keyDir, witnessFileName(expected[0]!))
  chmodSync(conflicting, 0o644)
  const other = { ...expected[0]!, hash: 'f'.repeat(64) }
  writeFileSync(conflicting, JSON.stringify(other) + '\n')
  db.prepare("DELETE FROM cursors WHERE name LIKE 'witness:%'").run()
  db.close()
  const again = await open()
  await again.close()
  assert.deepEqual(failures.map((f) => f.code), ['TT_ERR_WITNESS_CONFLICT'])
  assert.match(failures[0]!.message, new RegExp(`witness ${keyDir} already holds a different checkpoint at seq ${expected[0]!.seq}`))
  assert.equal(readFileSync(conflicting, 'utf8'), JSON.stringify(other) + '\n', 'the conflicting file is not overwritten')
})

test('a witness directory that cannot be written stops the collector at start, naming it; a writing command too', async (t) => {
  const dir = tempDir(t, 'tt-witness-bad')
  writeFileSync(join(dir, 'a-file'), 'not a directory\n')
  const bad = join(dir, 'a-file', 'witness')
  const dataDir = join(dir, 'data')
  await assert.rejects(openTrail(config(dataDir, { witnessDir: bad }), { role: 'collector', onWarning: () => {} }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'TT_ERR_WITNESS_DIR')
    assert.match(error.message, /^witness directory .*a-file\/witness\/[0-9a-f]{16} cannot be written \(ENOTDIR\): a part of its path is a file, not a directory/)
    return true
  })
  const serve = await runCli(['serve', '--port', '0', '--witness-dir', bad], { dataDir })
  assert.equal(serve.code, 1, describeRun(serve))
  assert.deepEqual(errorLines(serve.stderr).map((line) => /^tradetrail: witness directory .* cannot be written \(ENOTDIR\): .* \(TT_ERR_WITNESS_DIR\)$/.test(line)), [true], serve.stderr)
  const log = await runCli(['log', 'not without its witness'], { dataDir, env: { TRADETRAIL_WITNESS_DIR: bad } })
  assert.equal(log.code, 1, describeRun(log))
  assert.match(log.stderr, /\(TT_ERR_WITNESS_DIR\)\n$/)
  assert.equal(existsSync(bad), false)
})

test('a collector killed while its endpoint is down delivers everything after its restart; meanwhile it stays ready and shows the lag', async (t) => {
  const port = await freePort()
  const dataDir = sharedDataDir(t)
  const witnessDir = join(tempDir(t, 'tt-witness-restart'), 'witness')
  const env = {
    TRADETRAIL_WITNESS_URL: `http://127.0.0.1:${port}/witness`, TRADETRAIL_WITNESS_TOKEN: 'restart-s3cret', TRADETRAIL_WITNESS_DIR: witnessDir,
    TRADETRAIL_CHECKPOINT_EVERY: '1',
  }
  const first = await spawnCollector(t, { dataDir, env })
  const token = first.adminToken!
  for (let i = 0; i < 3; i++) {
    const answer = await http(first.url, '/v1/events', { token, body: [testEvent('WitnessBot')] })
    assert.equal(answer.status, 200, describeAnswer(answer))
  }
  const witnesses = await waitFor(async () => (await http(first.url, '/v1/witnesses', { token })).json<{ witnesses: Array<Record<string, any>> }>().witnesses,
    (w) => w.find((x) => x.witness === 'http')?.failures >= 1 && w.find((x) => x.witness === 'directory')?.pending === 0,
    { describe: 'the endpoint failing, the directory caught up' })
  const down = witnesses.find((w) => w.witness === 'http')!
  assert.ok(down.pending >= 4, `the boot, token and event checkpoints wait: ${JSON.stringify(down)}`)
  assert.equal(down.last_error.code, 'TT_ERR_WITNESS_DELIVERY')
  assert.deepEqual(await http(first.url, '/readyz').then((a) => [a.status, a.json().status]), [200, 'ready'], 'witness lag does not stop ingest')
  const metrics = (await http(first.url, '/metrics', { token })).text
  assert.match(metrics, /^tradetrail_witness_pending\{witness="http"\} [1-9]\d*$/m)
  assert.match(metrics, /^tradetrail_witness_pending\{witness="directory"\} 0$/m)
  assert.match(metrics, /^tradetrail_witness_failures_total\{witness="http"\} [1-9]\d*$/m)
  assert.match(metrics, /^tradetrail_witness_delivered_total\{witness="directory"\} [1-9]\d*$/m)
  assert.match(first.stdout(), /"level":40,.*"code":"TT_ERR_WITNESS_DELIVERY".*"msg":"witness http:\/\/127\.0\.0\.1:\d+\/witness: delivery failed, next attempt in \d+ s"/)
  assert.equal((await first.kill()).signal, 'SIGKILL', 'killed: nothing is delivered on the way out')

  // A command signs meanwhile: it cannot deliver either, says so, and succeeds.
  const log = await runCli(['log', 'written while the witness is down'], { dataDir, env })
  assert.equal(log.code, 0, describeRun(log))
  assert.match(log.stderr, /^WARNING: witness http:\/\/127\.0\.0\.1:\d+\/witness did not take the checkpoint at seq \d+ \(ECONNREFUSED\); it stays pending/m)

  const receiver = await Receiver.listen(port)
  t.after(() => receiver.close())
  const second = await spawnCollector(t, { dataDir, env })
  const signedNow = (await http(second.url, '/v1/checkpoints', { token })).json<{ checkpoints: Checkpoint[] }>().checkpoints
  await waitFor(() => receiver.held.size, (n) => n >= signedNow.length, { describe: `the ${signedNow.length} checkpoints signed so far taken after the restart` })
  assert.equal((await second.stop()).code, 0)

  const signed = (await trailCheckpoints(dataDir)).map(asRecord)
  assert.deepEqual([...receiver.held.keys()], signed.map(witnessKey), 'every checkpoint, the command\'s and the final one at shutdown included, once, in seq order')
  assert.deepEqual([...receiver.held.values()], signed)
  assert.ok(receiver.requests.every((r) => r.authorization === 'Bearer restart-s3cret'))
  const keyDir = join(witnessDir, readdirSync(witnessDir)[0]!)
  assert.deepEqual(readdirSync(keyDir).sort(), signed.map(witnessFileName), 'the directory holds every one too')
})
