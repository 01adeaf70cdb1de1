/**
 * docs/verification.md is complete enough to verify a trail without Tradetrail's code: a verifier
 * written from that page alone (fixtures/independent-verifier/verify.py: Python's standard library
 * and the openssl command) passes the known-answer vectors, agrees with `tradetrail verify --json`
 * on a varied trail built through the real CLI and collector — a retention purge, three kinds of
 * submitters, flags, awkward numbers and keys, an earlier checkpoint export, an unsigned tail — and
 * fails on a one-character change of the export, on a forged anchor and on a purge that an earlier
 * export proves premature.
 */
import assert from 'node:assert/strict'
import { execFile, spawnSync } from 'node:child_process'
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, before, test } from 'node:test'
import type Database from 'better-sqlite3'
import { CLOCK_OFFSET_HEADER, CLOCK_RTT_HEADER, type Checkpoint, type StoredEvent } from '@tradetrail/core'
import {
  closeHttp, deferredHooks, describeAnswer, describeRun, http, parseJson, runCli, spawnCollector, tempDir, testEvent,
} from '@tradetrail/test-support'
import type { VerifyReport } from '../src/verify-trail.ts'
import { editBody, rechain, tampered } from './helpers/tamper.ts'

const VERIFY_PY = fileURLToPath(new URL('./fixtures/independent-verifier/verify.py', import.meta.url))
const DOC_VECTORS = fileURLToPath(new URL('../../../docs/test-vectors/', import.meta.url))

/** Why the Python verifier cannot run here, or undefined; under CI it must run. */
function missingTools(): string | undefined {
  for (const [tool, args] of [['python3', ['--version']], ['openssl', ['version']]] as const) {
    const probe = spawnSync(tool, args)
    if (probe.error !== undefined || probe.status !== 0) {
      if (process.env.CI === 'true') throw new Error(`${tool} is missing under CI: the independent verifier must run there`)
      return `${tool} is not available (${probe.error?.message ?? `exit ${probe.status}`}): THE INDEPENDENT VERIFIER IS NOT TESTED`
    }
  }
  return undefined
}
const skip = missingTools()

interface PyRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs verify.py with `args` (its own process: nothing of Tradetrail is loaded there). */
function verifyPy(args: readonly string[]): Promise<PyRun> {
  return new Promise((resolve, reject) => {
    execFile('python3', [VERIFY_PY, ...args], { encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') return reject(error)
      resolve({ code: error === null ? 0 : error.code as number, stdout, stderr })
    })
  })
}

/** The parts of a report both verifiers must agree on: all but `workers` and the prose of the problem. */
function comparable(report: VerifyReport): Omit<VerifyReport, 'workers' | 'problem'> & { problem: { seq: number; code: string } | null } {
  const { workers: _workers, problem, ...rest } = report
  return { ...rest, problem: problem && { seq: problem.seq, code: problem.code } }
}

const owner = deferredHooks()
const dir = tempDir({ after }, 'tt-independent')
const dataDir = join(dir, 'data')
/** The files an auditor keeps (docs/verification.md §1): checkpoints, then events; an earlier checkpoints export; the public key since the start. */
const files = {
  checkpoints: join(dir, 'checkpoints.json'), events: join(dir, 'events.jsonl'), earlier: join(dir, 'earlier-checkpoints.json'), key: join(dir, 'kept.pem'),
  beforePurge: join(dir, 'before-purge-checkpoints.json'),
}
let purgedThrough = 0

async function cli(args: string[]): Promise<string> {
  const result = await runCli(args, { dataDir })
  assert.equal(result.code, 0, describeRun(result))
  return result.stdout
}

/** Takes the two exports of docs/verification.md §1, checkpoints first, from `from` into `to`. */
async function exportTrail(from: string, to: { checkpoints: string; events: string }): Promise<void> {
  for (const [args, path] of [[['checkpoints', '--json'], to.checkpoints], [['export', '--format', 'jsonl'], to.events]] as const) {
    const result = await runCli(args, { dataDir: from })
    assert.equal(result.code, 0, describeRun(result))
    writeFileSync(path, result.stdout)
  }
}

before(async () => {
  if (skip !== undefined) return
  // CLI events (submitter cli:<user>@<host>), then a purge of all of them: the chain starts at an anchor.
  await cli(['log', 'Bot started', '--project', 'MyTradingBot', '--type', 'boot'])
  copyFileSync(join(dataDir, 'keys', 'checkpoint-key.pub.pem'), files.key)
  await cli(['log', 'Opened long EURUSD', '--project', 'MyTradingBot', '--type', 'trade_opened', '--data', 'symbol=EURUSD'])
  writeFileSync(files.beforePurge, await cli(['checkpoints', '--json']))
  const purge = JSON.parse(await cli(['--json', 'purge', '--older-than', '1ms', '--below-minimum-retention', 'sample trail: nothing to keep'])) as { purged: number; anchor: Checkpoint }
  assert.equal(purge.anchor.seq, 2, `the purge took both events: ${JSON.stringify(purge)}`)
  purgedThrough = purge.anchor.seq
  await cli(['log', 'Ordre annulé: spread > 3 pips — €1.0850 😀\n\t"quoted" \\ back\u0001\u2028', '--project', 'risk-engine.eu', '--type', 'risk.check:v2',
    '--severity', 'error', '--source', 'FeedStalenessCalculator', '--actor', 'Zoë', '--data-json', JSON.stringify({
      limits: { notional: 1e21, big: 1e20, tiny: 1e-7, ratio: 0.1, third: 1 / 3, zero: -0 }, 9: 'nine', 10: 'ten', '': 'empty key',
      '😀': 'emoji key', '\ue000': 'private use', é: 'e acute', nested: [[], [[]], {}], none: null, ok: true,
    }).replace('"zero":0', '"zero":-0')])

  // A collector (submitter collector and token:<id>): flags, nested data, checkpoints every 3 events.
  const first = await spawnCollector(owner, { dataDir, env: { TRADETRAIL_CHECKPOINT_EVERY: '3' } })
  const token = async (body: Record<string, unknown>): Promise<string> => {
    const answer = await http(first.url, '/v1/tokens', { token: first.adminToken!, body })
    assert.equal(answer.status, 201, describeAnswer(answer))
    return answer.json<{ token: string }>().token
  }
  const trader = await token({ scope: 'ingest', projects: ['AlphaBot'], privileges: ['execute_trade'] })
  const scalper = await token({ scope: 'ingest', projects: ['ScalperBot'] })
  const post = async (base: string, tokenSecret: string, events: unknown[], headers: Record<string, string> = {}): Promise<void> => {
    const answer = await http(base, '/v1/events', { token: tokenSecret, body: events, headers })
    assert.equal(answer.status, 200, describeAnswer(answer))
  }
  await post(first.url, trader, [
    testEvent('AlphaBot', { type: 'order_filled', severity: 'notice', message: 'Filled 100000 EURUSD', source: 'OrderRouter', actor: 'bot:momentum-v3',
      data: { legs: [{ symbol: 'EURUSD', qty: -100000, px: 1.085 }, { symbol: 'USDJPY', qty: 2.5e-7, px: 157.25 }], max_drawdown: 0.05 },
      metadata: { host: 'trader-01', pid: 4242, trace: { span: 'a1b2', parent: null } } }),
    testEvent('AlphaBot', { ts: '2025-12-17T21:00:05.000001+00:00', message: 'ts kept as sent', data: {} }),
  ])
  await post(first.url, scalper, [testEvent('ScalperBot', { type: 'trade_opened', message: 'Opened GBPUSD without the privilege' })])
  await post(first.url, scalper, [testEvent('ScalperBot', { type: 'order_submitted', message: 'Submitted with a skewed clock' })],
    { [CLOCK_OFFSET_HEADER]: '250000', [CLOCK_RTT_HEADER]: '800' })
  await first.stop()
  // An export kept elsewhere; later ones must agree with it.
  await exportTrail(dataDir, { checkpoints: files.earlier, events: join(dir, 'earlier-events.jsonl') })

  // A collector that dies before it signs: the trail ends in an unsigned tail.
  const second = await spawnCollector(owner, { dataDir, env: { TRADETRAIL_CHECKPOINT_EVERY: '1000' } })
  await post(second.url, trader, [testEvent('AlphaBot', { message: 'After the last checkpoint' })])
  await second.kill()
  await exportTrail(dataDir, files)
})
after(async () => {
  closeHttp()
  await owner.run()
})

const exported = (): { events: StoredEvent[]; checkpoints: { anchor: Checkpoint | null; checkpoints: Checkpoint[] } } => ({
  events: readFileSync(files.events, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as StoredEvent),
  checkpoints: JSON.parse(readFileSync(files.checkpoints, 'utf8')),
})

test('the trail is as varied as this test means it to be', { skip }, () => {
  const { events, checkpoints } = exported()
  const text = readFileSync(files.events, 'utf8')
  assert.equal(checkpoints.anchor?.seq, purgedThrough, 'the chain starts at a retention anchor')
  assert.equal(events[0]!.seq, purgedThrough + 1)
  assert.ok(checkpoints.checkpoints.some((c) => c.seq <= purgedThrough), 'checkpoints in the purged range stay in the export')
  assert.ok(events.some((e) => e.type === 'retention_purge'), 'the purge is in the chain')
  const submitters = new Set(events.map((e) => e.submitter?.replace(/:.*/, ':')))
  assert.deepEqual([...submitters].sort(), ['cli:', 'collector', 'token:'])
  assert.ok(events.some((e) => e.flags?.join() === 'privilege_violation'))
  assert.ok(events.some((e) => e.flags?.join() === 'clock_skew,privilege_violation'))
  assert.ok(events.some((e) => e.ts.endsWith('+00:00')))
  for (const written of ['1e+21', '100000000000000000000', '1e-7', '0.1', '0.3333333333333333', '"zero":0', '"9":"nine","10":"ten"', '\\u0001', '😀']) {
    assert.ok(text.includes(written), `the export holds ${written}`)
  }
  const tail = events.filter((e) => e.seq > checkpoints.checkpoints.at(-1)!.seq)
  assert.ok(tail.length > 0, 'the killed collector left an unsigned tail')
})

test('verify.py passes the known-answer vectors of docs/test-vectors', { skip }, async () => {
  const run = await verifyPy(['--self-test', DOC_VECTORS])
  assert.equal(run.code, 0, `${run.stdout}${run.stderr}`)
  assert.match(run.stdout, /self-test: 0 failures/)
})

test('verify.py and tradetrail verify --json give the same report: alone, with a kept key, with an earlier export', { skip }, async () => {
  const variants: Array<[string, string[], string[]]> = [
    ['alone', [], []],
    ['with the kept public key and the earlier checkpoints', ['--public-key', files.key, '--checkpoints', files.earlier], ['--public-key', files.key, '--checkpoints', files.earlier]],
  ]
  for (const [what, cliArgs, pyArgs] of variants) {
    const reference = await runCli(['verify', '--json', ...cliArgs], { dataDir })
    assert.equal(reference.code, 0, describeRun(reference))
    const expected = parseJson<VerifyReport>(reference)
    assert.ok(expected.anchor_seq > 0 && expected.unsigned_tail > 0 && expected.checkpoints.total >= 3, `a report worth comparing: ${reference.stdout}`)
    const run = await verifyPy([...pyArgs, files.checkpoints, files.events])
    assert.equal(run.code, 0, `verify.py ${what}: ${run.stdout}${run.stderr}`)
    assert.deepEqual(comparable(JSON.parse(run.stdout)), comparable(expected), `verify.py ${what}`)
  }
})

test('with checkpoints exported before the purge, both verifiers name the purge below the minimum retention (premature_purge)', { skip }, async () => {
  const reference = await runCli(['verify', '--json', '--checkpoints', files.beforePurge], { dataDir })
  assert.equal(reference.code, 1, describeRun(reference))
  const expected = parseJson<VerifyReport>(reference)
  assert.deepEqual([expected.problem?.seq, expected.problem?.code], [1, 'premature_purge'], reference.stdout)
  const run = await verifyPy(['--checkpoints', files.beforePurge, files.checkpoints, files.events])
  assert.equal(run.code, 1, `${run.stdout}${run.stderr}`)
  assert.deepEqual(comparable(JSON.parse(run.stdout)), comparable(expected))
})

/** `text` with the character at `at` replaced: a digit by the next, a letter by the next of its case, anything else by another. */
function changeOne(text: string, at: number): string {
  const c = text.codePointAt(at)!
  const ch = String.fromCodePoint(c)
  let to: string
  if (/[0-8a-yA-Y]/.test(ch)) to = String.fromCharCode(c + 1)
  else if (/[9zZ]/.test(ch)) to = { 9: '0', z: 'a', Z: 'A' }[ch]!
  else if (c < 0x80) to = ch === 'x' ? 'y' : 'x'
  else to = String.fromCodePoint(c + 1)
  return text.slice(0, at) + to + text.slice(at + ch.length)
}

test('a one-character change of the export is caught, and named where the change says', { skip }, async () => {
  const { events, checkpoints } = exported()
  const eventsText = readFileSync(files.events, 'utf8')
  const checkpointsText = readFileSync(files.checkpoints, 'utf8')
  const mid = events[Math.floor(events.length / 2)]!
  const last = events.at(-1)!
  const checkpoint = checkpoints.checkpoints.find((c) => c.seq > purgedThrough)!
  // Line i of the export is events[i]; `inLine` finds a needle within the line of one seq.
  const starts: number[] = []
  for (let at = 0; at < eventsText.length; at = eventsText.indexOf('\n', at) + 1) starts.push(at)
  const inLine = (seq: number, needle: string): number => {
    const i = events.findIndex((e) => e.seq === seq)
    const at = eventsText.indexOf(needle, starts[i])
    assert.ok(at >= 0 && at < eventsText.indexOf('\n', starts[i]), `${needle} in the line of seq ${seq}`)
    return at
  }
  const movedSeq = Number(changeOne(String(mid.seq), 0))
  const notional = events.find((e) => e.data !== undefined && JSON.stringify(e.data).includes('1e+21'))!
  const anchorSignature = checkpoints.anchor!.signature
  const cases: Array<[string, 'events' | 'checkpoints', number | number[], { seq: number; code: string }]> = [
    ['a letter of a message', 'events', inLine(mid.seq, '"message":"') + 12, { seq: mid.seq, code: 'hash_mismatch' }],
    ['a digit of 1e+21 in data', 'events', inLine(notional.seq, '1e+21'), { seq: notional.seq, code: 'hash_mismatch' }],
    ['received_at in the unsigned tail', 'events', inLine(last.seq, '"received_at":"') + 30, { seq: last.seq, code: 'hash_mismatch' }],
    ['the seq of an event', 'events', inLine(mid.seq, `"seq":${mid.seq},`) + 6, movedSeq > mid.seq ? { seq: mid.seq, code: 'missing_event' } : { seq: movedSeq, code: 'unexpected_event' }],
    ['a hex digit of a checkpoint hash', 'checkpoints', checkpointsText.indexOf(checkpoint.hash) + 3, { seq: checkpoint.seq, code: 'checkpoint_signature' }],
    ['the time of a checkpoint', 'checkpoints', checkpointsText.indexOf(checkpoint.time) + 20, { seq: checkpoint.seq, code: 'checkpoint_signature' }],
    // The export states the newest anchor twice, as "anchor" and the last of "anchors": both copies changed alike.
    ['a letter of the anchor signature', 'checkpoints', [checkpointsText.indexOf(anchorSignature) + 7, checkpointsText.lastIndexOf(anchorSignature) + 7], { seq: purgedThrough, code: 'anchor_signature' }],
  ]
  const changed = { checkpoints: join(dir, 'changed-checkpoints.json'), events: join(dir, 'changed-events.jsonl') }
  for (const [what, file, at, expected] of cases) {
    writeFileSync(changed.events, file === 'events' ? changeOne(eventsText, at as number) : eventsText)
    writeFileSync(changed.checkpoints, file === 'checkpoints' ? [at].flat().reduce((text, position) => changeOne(text, position), checkpointsText) : checkpointsText)
    const run = await verifyPy([changed.checkpoints, changed.events])
    assert.equal(run.code, 1, `${what}: verify.py must fail; ${run.stdout}${run.stderr}`)
    const report = JSON.parse(run.stdout) as VerifyReport
    assert.deepEqual({ seq: report.problem?.seq, code: report.problem?.code }, expected, `${what}: ${JSON.stringify(report.problem)}`)
  }
})

test('a one-character change anywhere in the events export fails verify.py (positions spread over the file)', { skip }, async () => {
  const eventsText = readFileSync(files.events, 'utf8')
  const changed = join(dir, 'swept-events.jsonl')
  const positions = Array.from({ length: 16 }, (_, i) => Math.floor(((i + 0.5) * eventsText.length) / 16)).filter((at) => eventsText[at] !== '\n')
  for (const at of positions) {
    writeFileSync(changed, changeOne(eventsText, at))
    const run = await verifyPy([files.checkpoints, changed])
    assert.notEqual(run.code, 0, `a change at offset ${at} (${JSON.stringify(eventsText.slice(at - 20, at + 20))}) passed: ${run.stdout}`)
  }
})

test('a trail tampered in its database: both verifiers name the same first bad seq and kind', { skip }, async (t) => {
  const { events, checkpoints } = exported()
  const mid = events[Math.floor(events.length / 2)]!
  const signed = checkpoints.checkpoints.at(-1)!.seq
  const edits: Array<[string, (db: Database.Database) => void, string]> = [
    ['a message edited', (db) => editBody(db, mid.seq, JSON.stringify(mid.message), JSON.stringify(`${mid.message}!`)), 'hash_mismatch'],
    ['an event deleted', (db) => db.prepare('DELETE FROM events WHERE seq = ?').run(mid.seq), 'missing_event'],
    ['the tail cut below the newest checkpoint', (db) => db.prepare('DELETE FROM events WHERE seq >= ?').run(signed - 1), 'truncated'],
    ['the chain rewritten after an edit', (db) => {
      editBody(db, mid.seq, JSON.stringify(mid.message), JSON.stringify('rewritten'))
      rechain(db, mid.seq)
    }, 'checkpoint_mismatch'],
    ['a checkpoint copied in as the anchor, the events before it deleted', (db) => {
      const c = checkpoints.checkpoints.find((k) => k.seq > purgedThrough && k.seq < signed)!
      db.prepare('DELETE FROM events WHERE seq <= ?').run(c.seq)
      db.prepare('INSERT INTO anchors (seq, hash, time, key_id, signature, purged) VALUES (?, ?, ?, ?, ?, ?)').run(c.seq, c.hash, c.time, c.key_id, c.signature, c.seq - purgedThrough)
    }, 'anchor_unproven'],
  ]
  for (const [what, edit, code] of edits) {
    const copy = tampered(t, dataDir, edit)
    const reference = await runCli(['verify', '--json'], { dataDir: copy })
    assert.equal(reference.code, 1, `${what}: ${describeRun(reference)}`)
    const expected = parseJson<VerifyReport>(reference)
    assert.equal(expected.problem?.code, code, `${what}: ${reference.stdout}`)
    const out = { checkpoints: join(copy, 'checkpoints.json'), events: join(copy, 'events.jsonl') }
    await exportTrail(copy, out)
    const run = await verifyPy([out.checkpoints, out.events])
    assert.equal(run.code, 1, `${what}: verify.py must fail; ${run.stdout}${run.stderr}`)
    assert.deepEqual(comparable(JSON.parse(run.stdout)), comparable(expected), what)
  }
})
