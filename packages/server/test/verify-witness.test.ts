/**
 * `tradetrail verify --witness`: what a witness kept out of the attacker's reach catches what
 * verify alone cannot — a chain rewritten and re-signed with the key on disk, a cut tail with
 * its checkpoints removed, a forged anchor, a replaced key — each with its own problem kind.
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync } from 'node:crypto'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type Anchor, ManualClock, validateBatch } from '@tradetrail/core'
import { describeRun, errorLines, parseJson, runCli, tempDir } from '@tradetrail/test-support'
import { CheckpointSigner, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from '../src/checkpoint-signer.ts'
import { loadConfig } from '../src/config.ts'
import { SqliteEventStore } from '../src/stores/sqlite/sqlite-event-store.ts'
import { DATABASE_FILE, KEYS_DIR, openTrail } from '../src/trail/open-trail.ts'
import { verifyTrail } from '../src/verify-trail.ts'
import { editBody, rechain, resign, tamper } from './helpers/tamper.ts'
import { copyDataDir } from './helpers/trail.ts'

const YEAR_MS = 365 * 86_400_000
const dir = tempDir({ after }, 'tt-verify-witness')
/** 12 events of seven years ago purged behind an anchor at seq 12, then more: checkpoints every 4 events. */
const template = join(dir, 'data')
const witnessDir = join(dir, 'witness')
let keyId: string
let anchorSeq: number
let checkpointSeqs: number[]

before(async () => {
  const clock = new ManualClock(Date.now() - 7 * YEAR_MS)
  const trail = await openTrail(loadConfig({ env: {}, flags: { dataDir: template, checkpointEvery: '4', witnessDir } }), { role: 'command', clock, onWarning: () => {} })
  const submit = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i += 2) {
      await trail.submit(validateBatch([0, 1].map((k) => ({ project: 'AuditedBot', message: `order ${i + k}`, data: { i: i + k } })), { nowMicros: clock.nowMicros() }), 'test')
    }
  }
  await submit(12)
  clock.setMs(Date.now() - 86_400_000)
  await submit(12)
  anchorSeq = (await trail.purge(6 * YEAR_MS)).anchor!.seq
  await submit(12)
  keyId = trail.signer.keyId
  await trail.close()
  const store = new SqliteEventStore({ path: join(template, DATABASE_FILE), readonly: true })
  checkpointSeqs = (await store.checkpoints()).map((c) => c.seq)
  await store.close()
  assert.equal(anchorSeq, 12)
  assert.ok(checkpointSeqs.filter((s) => s > anchorSeq).length >= 4, `checkpoints after the anchor: ${checkpointSeqs.join(', ')}`)
  assert.equal(readdirSync(join(witnessDir, keyId)).length, checkpointSeqs.length + 1, 'the witness holds every checkpoint and the anchor')
})

interface Report {
  ok: boolean
  problem: { seq: number; code: string; message: string } | null
  witness?: { checkpoints: number; anchors: number }
}

/** What verify alone says of `dataDir` (it passes every forgery below). */
async function verifyAlone(dataDir: string): Promise<{ ok: boolean }> {
  const store = new SqliteEventStore({ path: join(dataDir, DATABASE_FILE), readonly: true })
  try {
    return await verifyTrail(store, CheckpointSigner.open(join(dataDir, KEYS_DIR), { create: false }).publicKey)
  } finally {
    await store.close()
  }
}

async function verifyWitnessed(dataDir: string, witnesses: string[] = [witnessDir]): Promise<{ code: number | null; report: Report; stderr: string }> {
  const result = await runCli(['verify', '--json', ...witnesses.flatMap((w) => ['--witness', w])], { dataDir })
  return { code: result.code, report: parseJson<Report>(result), stderr: result.stderr }
}

/** A copy of the template edited by an attacker with the disk (and `edit` says what else). */
async function forgery(t: { after(fn: () => unknown): unknown }, edit: (dataDir: string) => void, expected: { seq: number; code: string }): Promise<void> {
  const dataDir = copyDataDir(t, template, 'tt-forgery')
  edit(dataDir)
  assert.equal((await verifyAlone(dataDir)).ok, true, 'verify alone is fooled')
  const { code, report, stderr } = await verifyWitnessed(dataDir)
  assert.equal(code, 1, JSON.stringify(report))
  assert.deepEqual({ ok: report.ok, seq: report.problem?.seq, code: report.problem?.code }, { ok: false, ...expected }, JSON.stringify(report.problem))
  assert.match(errorLines(stderr).join('\n'), new RegExp(`^tradetrail: verification failed at seq ${expected.seq}: .*\\(${expected.code}\\)$`))
}

describe('verify --witness', { concurrency: 2 }, () => {
  test('an honest trail, purged behind a witnessed anchor, agrees with its witness directory, a key folder of it and a file of records', async (t) => {
    const dataDir = copyDataDir(t, template, 'tt-honest')
    const records = join(tempDir(t, 'tt-records'), 'received.jsonl')
    const files = readdirSync(join(witnessDir, keyId)).sort()
    writeFileSync(records, files.map((f) => readFileSync(join(witnessDir, keyId, f), 'utf8')).join(''))
    const { code, report } = await verifyWitnessed(dataDir, [witnessDir, join(witnessDir, keyId), records])
    assert.equal(code, 0, JSON.stringify(report))
    assert.deepEqual([report.ok, report.problem, report.witness], [true, null, { checkpoints: checkpointSeqs.length, anchors: 1 }], 'records repeated across witnesses count once')
    const text = await runCli(['verify', '--witness', witnessDir], { dataDir })
    assert.equal(text.code, 0, describeRun(text))
    assert.match(text.stdout, new RegExp(`^witnesses agree: ${checkpointSeqs.length} checkpoints and 1 anchors they hold match the trail$`, 'm'))
  })

  test('a chain rewritten and re-signed with the key on disk: witness_mismatch at the first witnessed checkpoint after the edit', async (t) => {
    const first = checkpointSeqs.find((s) => s >= 20)!
    await forgery(t, (dataDir) => tamper(dataDir, (db) => {
      editBody(db, 20, '"order', '"ORDER')
      rechain(db, 20)
      resign(db, CheckpointSigner.open(join(dataDir, KEYS_DIR), { create: false }), 20)
    }), { seq: first, code: 'witness_mismatch' })
  })

  test('events cut off the end with the checkpoints that covered them: witness_truncated after the new head', async (t) => {
    await forgery(t, (dataDir) => tamper(dataDir, (db) => {
      db.prepare('DELETE FROM events WHERE seq > 24').run()
      db.prepare('DELETE FROM checkpoints WHERE seq > 24').run()
    }), { seq: 25, code: 'witness_truncated' })
  })

  test('a prefix deleted behind an anchor signed with the key on disk: witness_anchor at the forged anchor', async (t) => {
    // An anchor copied from a checkpoint no longer fools verify alone (anchor_unproven,
    // tamper-detection.test.ts); one signed with the stolen key does, and only a witness sees it.
    const at = checkpointSeqs.find((s) => s > anchorSeq)!
    await forgery(t, (dataDir) => tamper(dataDir, (db) => {
      const signer = CheckpointSigner.open(join(dataDir, KEYS_DIR), { create: false })
      const honest = db.prepare('SELECT * FROM anchors').get() as Required<Anchor>
      const head = db.prepare('SELECT seq, lower(hex(hash)) AS hash FROM events WHERE seq = ?').get(at) as { seq: number; hash: string }
      const forged = signer.signAnchor({ ...honest, seq: head.seq, hash: head.hash, purged: at })
      db.prepare('DELETE FROM events WHERE seq <= ?').run(at)
      db.prepare(`INSERT INTO anchors (seq, hash, time, key_id, signature, purged, newest_received_at, min_retention_ms, retention_ms, below_minimum)
        VALUES (@seq, @hash, @time, @key_id, @signature, @purged, @newest_received_at, @min_retention_ms, @retention_ms, @below_minimum)`).run(forged)
    }), { seq: at, code: 'witness_anchor' })
  })

  test('the key replaced and every checkpoint and the anchor re-signed with the new one: witness_signature', async (t) => {
    await forgery(t, (dataDir) => {
      const keys = join(dataDir, KEYS_DIR)
      const { privateKey, publicKey } = generateKeyPairSync('ed25519')
      writeFileSync(join(keys, PRIVATE_KEY_FILE), privateKey.export({ format: 'pem', type: 'pkcs8' }))
      writeFileSync(join(keys, PUBLIC_KEY_FILE), publicKey.export({ format: 'pem', type: 'spki' }))
      const signer = CheckpointSigner.open(keys, { create: false })
      tamper(dataDir, (db) => {
        resign(db, signer, 0)
        const forged = signer.signAnchor(db.prepare('SELECT * FROM anchors').get() as Required<Anchor>)
        db.prepare('UPDATE anchors SET key_id = ?, signature = ?').run(forged.key_id, forged.signature)
      })
    }, { seq: checkpointSeqs[0]!, code: 'witness_signature' })
  })

  test('a witness that does not exist, holds nothing, or holds something else is an error naming it, not a verification', async (t) => {
    const dataDir = copyDataDir(t, template, 'tt-bad-witness')
    const empty = join(tempDir(t, 'tt-empty'), 'witness')
    mkdirSync(empty)
    const garbage = join(tempDir(t, 'tt-garbage'), 'records.jsonl')
    writeFileSync(garbage, `${readFileSync(join(witnessDir, keyId, readdirSync(join(witnessDir, keyId))[0]!), 'utf8')}{"kind":"checkpoint","seq":"7"}\n`)
    const cases: Array<[string, RegExp]> = [
      [join(dir, 'no-such-witness'), /no-such-witness does not exist \(ENOENT\); check the path \(TT_ERR_FILE_NOT_FOUND\)$/],
      [empty, /holds no witness records \(checkpoint-\*\.json or anchor-\*\.json files, or JSON lines of records\) \(TT_ERR_FILE_ACCESS\)$/],
      [garbage, /records\.jsonl:2: not a witness record: "seq" is not a positive integer \(TT_ERR_FILE_ACCESS\)$/],
    ]
    for (const [witness, message] of cases) {
      const result = await runCli(['verify', '--witness', witness], { dataDir })
      assert.equal(result.code, 1, describeRun(result))
      assert.equal(result.stdout, '', 'no report')
      assert.match(errorLines(result.stderr).join('\n'), message)
    }
  })
})
