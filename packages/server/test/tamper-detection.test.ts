/**
 * Tamper evidence against an attacker with write access to the SQLite file: they drop the
 * append-only triggers and edit the trail with raw SQL. `tradetrail verify` must exit
 * non-zero and name the first bad seq and the kind of problem, in its one stderr line and
 * in the --json report.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test, type TestContext } from 'node:test'
import Database from 'better-sqlite3'
import { ManualClock, canonicalEventText, chainHash, formatMicros, systemClock, validateBatch } from '@tradetrail/core'
import { describeRun, errorLines, parseJson, runCli, tempDir } from '@tradetrail/test-support'
import { CheckpointSigner } from '../src/checkpoint-signer.ts'
import { SqliteEventStore } from '../src/stores/sqlite/sqlite-event-store.ts'
import { DATABASE_FILE } from '../src/trail/open-trail.ts'
import { type EventRow, editBody, rechain, tamper, tampered } from './helpers/tamper.ts'
import { copyDataDir, openTestTrail, snapshotTrail, writeTrail } from './helpers/trail.ts'

const SEVERITY_NAMES = ['debug', 'info', 'info', 'notice', 'warning', 'error'] as const

/** Event i (1-based) of the test trails: every optional field shows up somewhere. */
function event(i: number): Record<string, unknown> {
  const e: Record<string, unknown> = {
    project: i % 3 === 0 ? 'RiskEngine' : 'AlphaBot',
    type: i % 4 === 0 ? 'order_filled' : 'trade_opened',
    severity: SEVERITY_NAMES[i % SEVERITY_NAMES.length],
    ts: `2025-12-17T21:${String(i).padStart(2, '0')}:03.${String(i * 7919).padStart(9, '0')}Z`,
    message: `Event ${i}: opened long EURUSD`,
    data: { symbol: 'EURUSD', quantity: i * 1000, price: 1.085 + i / 10_000 },
  }
  if (i % 2 === 0) e.source = 'OrderRouter'
  if (i % 5 === 0) e.actor = 'alice'
  if (i % 7 === 0) e.metadata = { host: 'bot-1', pid: 4242 }
  return e
}

const batchesOf = (from: number, to: number, size: number): Array<Array<Record<string, unknown>>> => {
  const batches: Array<Array<Record<string, unknown>>> = []
  for (let i = from; i <= to; i += size) batches.push(Array.from({ length: Math.min(size, to - i + 1) }, (_, k) => event(i + k)))
  return batches
}

/** 50 events written and closed normally: signed checkpoints at 10, 20, 30, 40 and 50. */
const closedTrail = join(tempDir({ after }, 'tt-tamper-closed'), 'data')
/** 45 events closed normally (checkpoints 10…40 and 45), then 46…50 by a writer that died before signing. */
const crashedTrail = join(tempDir({ after }, 'tt-tamper-crashed'), 'data')

before(async () => {
  await writeTrail(closedTrail, batchesOf(1, 50, 5), { checkpointEvery: 10 })
  await writeTrail(crashedTrail, batchesOf(1, 45, 5), { checkpointEvery: 10 })
  const store = new SqliteEventStore({ path: join(crashedTrail, DATABASE_FILE) })
  try {
    await store.append(validateBatch(batchesOf(46, 50, 5)[0]!, { nowMicros: systemClock.nowMicros() }))
  } finally {
    await store.close()
  }
  const checkpoints = (dir: string): number[] => (snapshotTrail(dir).checkpoints as Array<{ seq: number }>).map((c) => c.seq)
  assert.deepEqual(checkpoints(closedTrail), [10, 20, 30, 40, 50])
  assert.deepEqual(checkpoints(crashedTrail), [10, 20, 30, 40, 45])
  assert.equal(snapshotTrail(crashedTrail).events.length, 50)
})

/** Moves the rows with seq >= `at` one up, leaving seq `at` free. */
function makeRoomAt(db: Database.Database, at: number): void {
  db.prepare('UPDATE events SET seq = -(seq + 1) WHERE seq >= ?').run(at)
  db.prepare('UPDATE events SET seq = -seq WHERE seq < 0').run()
}

/** Inserts a forged event at `seq`, its text canonical like a real one's. */
function insertForged(db: Database.Database, seq: number): void {
  const forged = {
    seq, id: '0193b5c4-1d2e-7f30-8a41-b2c3d4e5f607', ts: '2025-12-17T21:30:00Z', project: 'AlphaBot', type: 'trade_closed', severity: 'info',
    message: 'Closed EURUSD at a profit', received_at: '2025-12-17T21:30:00.000001Z',
  }
  db.prepare('INSERT INTO events (seq, id, ts_key, project, type, severity, source, body, hash) VALUES (?, ?, ?, ?, ?, 1, NULL, ?, ?)')
    .run(seq, forged.id, forged.ts, forged.project, forged.type, canonicalEventText(forged), Buffer.alloc(32, 0xab))
}

interface Expectation {
  seq: number
  code: string
}

/** Runs `verify --json` and checks that it fails naming `expected` (report and stderr line). */
async function assertVerifyFails(dataDir: string, expected: Expectation, extraArgs: string[] = []): Promise<void> {
  const result = await runCli(['verify', '--json', ...extraArgs], { dataDir })
  assert.equal(result.code, 1, describeRun(result))
  const report = parseJson<{ ok: boolean; problem: { seq: number; code: string; message: string } | null }>(result)
  assert.equal(report.ok, false)
  assert.deepEqual({ seq: report.problem?.seq, code: report.problem?.code }, expected, `report.problem: ${JSON.stringify(report.problem)}`)
  const lines = errorLines(result.stderr)
  assert.equal(lines.length, 1, `one line on stderr: ${JSON.stringify(lines)}`)
  assert.match(lines[0]!, new RegExp(`verification failed at seq ${expected.seq}\\b.*\\(${expected.code}\\)$`))
}

describe('tamper detection by tradetrail verify', { concurrency: 2 }, () => {
  test('an untouched trail verifies (exit 0), also against its exported public key', async (t) => {
    const dataDir = copyDataDir(t, closedTrail, 'tt-tamper')
    const result = await runCli(['verify', '--public-key', join(dataDir, 'keys', 'checkpoint-key.pub.pem')], { dataDir })
    assert.equal(result.code, 0, describeRun(result))
    assert.match(result.stdout, /^OK: 50 events verified \(seq 1\.\.50\), 5 signed checkpoints\n$/)
  })

  describe('a changed field is caught at its own seq', { concurrency: 2 }, () => {
    test('message', async (t) => {
      await assertVerifyFails(tampered(t, closedTrail, (db) => editBody(db, 17, 'opened long', 'opened short')), { seq: 17, code: 'hash_mismatch' })
    })
    test('data', async (t) => {
      await assertVerifyFails(tampered(t, closedTrail, (db) => editBody(db, 23, '"quantity":23000', '"quantity":2300')), { seq: 23, code: 'hash_mismatch' })
    })
    test('project (text and column alike)', async (t) => {
      await assertVerifyFails(tampered(t, closedTrail, (db) => {
        editBody(db, 5, '"project":"AlphaBot"', '"project":"RiskEngine"')
        db.prepare("UPDATE events SET project = 'RiskEngine' WHERE seq = 5").run()
      }), { seq: 5, code: 'hash_mismatch' })
    })
    test('ts (one nanosecond digit)', async (t) => {
      await assertVerifyFails(tampered(t, closedTrail, (db) => {
        const { ts } = db.prepare("SELECT body ->> '$.ts' AS ts FROM events WHERE seq = 31").get() as { ts: string }
        const changed = ts.replace(/\dZ$/, (d) => `${(Number(d[0]) + 1) % 10}Z`)
        assert.notEqual(changed, ts)
        editBody(db, 31, `"ts":"${ts}"`, `"ts":"${changed}"`)
      }), { seq: 31, code: 'hash_mismatch' })
    })
    test('two rows swapped and the chain recomputed over them: each text still states its own seq', async (t) => {
      await assertVerifyFails(tampered(t, closedTrail, (db) => {
        db.prepare('UPDATE events SET seq = -12 WHERE seq = 12').run()
        db.prepare('UPDATE events SET seq = 12 WHERE seq = 13').run()
        db.prepare('UPDATE events SET seq = 13 WHERE seq = -12').run()
        rechain(db, 12)
      }), { seq: 12, code: 'seq_mismatch' })
    })
  })

  test('a row deleted in the middle: the gap is named', async (t) => {
    await assertVerifyFails(tampered(t, closedTrail, (db) => db.prepare('DELETE FROM events WHERE seq = 25').run()), { seq: 25, code: 'missing_event' })
  })

  test('a row inserted in the middle (later rows renumbered to make room)', async (t) => {
    await assertVerifyFails(tampered(t, closedTrail, (db) => {
      makeRoomAt(db, 33)
      insertForged(db, 33)
    }), { seq: 33, code: 'hash_mismatch' })
  })

  test('two rows with their contents swapped', async (t) => {
    await assertVerifyFails(tampered(t, closedTrail, (db) => {
      db.prepare('UPDATE events SET seq = -12 WHERE seq = 12').run()
      db.prepare('UPDATE events SET seq = 12 WHERE seq = 13').run()
      db.prepare('UPDATE events SET seq = 13 WHERE seq = -12').run()
    }), { seq: 12, code: 'hash_mismatch' })
  })

  test('the tail cut off before the last signed checkpoint', async (t) => {
    await assertVerifyFails(tampered(t, closedTrail, (db) => db.prepare('DELETE FROM events WHERE seq > 47').run()), { seq: 48, code: 'truncated' })
  })

  test('the tail of a crashed writer cut into its signed part is caught; a cut inside the unsigned tail shows only as a head past the last checkpoint', async (t) => {
    await assertVerifyFails(tampered(t, crashedTrail, (db) => db.prepare('DELETE FROM events WHERE seq > 42').run()), { seq: 43, code: 'truncated' })
    // Nothing signed covers 46…50, so removing 48…50 leaves a consistent trail: verify
    // passes, and its report shows the unprotected span (head 47, last checkpoint 45).
    const dataDir = tampered(t, crashedTrail, (db) => db.prepare('DELETE FROM events WHERE seq > 47').run())
    const result = await runCli(['verify', '--json'], { dataDir })
    assert.equal(result.code, 0, describeRun(result))
    const report = parseJson<{ ok: boolean; last_seq: number; checkpoints: { latest: { seq: number } } }>(result)
    assert.deepEqual([report.ok, report.last_seq, report.checkpoints.latest.seq], [true, 47, 45])
  })

  test('the chain rewritten consistently from seq 37 on is caught by the checkpoint signed at 40', async (t) => {
    await assertVerifyFails(tampered(t, closedTrail, (db) => {
      editBody(db, 37, 'opened long EURUSD', 'nothing happened')
      rechain(db, 37)
      // The forgery is internally consistent: only the signed checkpoint can tell.
      const rows = db.prepare('SELECT * FROM events WHERE seq >= 36 ORDER BY seq').all() as EventRow[]
      for (let i = 1; i < rows.length; i++) assert.ok(chainHash(rows[i - 1]!.hash, rows[i]!.body).equals(rows[i]!.hash))
    }), { seq: 40, code: 'checkpoint_mismatch' })
  })

  test('a rewrite that also deletes the stored checkpoints passes alone, and is caught by checkpoints exported before it', async (t) => {
    const dataDir = copyDataDir(t, closedTrail, 'tt-tamper')
    const exported = await runCli(['checkpoints', '--json'], { dataDir })
    assert.equal(exported.code, 0, describeRun(exported))
    const file = join(tempDir(t, 'tt-tamper-export'), 'checkpoints.json')
    writeFileSync(file, exported.stdout)
    tamper(dataDir, (db) => {
      editBody(db, 37, 'opened long EURUSD', 'nothing happened')
      rechain(db, 37)
      db.prepare('DELETE FROM checkpoints WHERE seq >= 37').run()
    })
    const alone = await runCli(['verify', '--json'], { dataDir })
    assert.equal(alone.code, 0, `without the export the forgery is consistent: ${describeRun(alone)}`)
    await assertVerifyFails(dataDir, { seq: 40, code: 'checkpoint_mismatch' }, ['--checkpoints', file])
  })

  test('a rewritten chain with checkpoints re-signed by another key', async (t) => {
    const attacker = CheckpointSigner.open(tempDir(t, 'tt-attacker-key'))
    await assertVerifyFails(tampered(t, closedTrail, (db) => {
      editBody(db, 37, 'opened long EURUSD', 'nothing happened')
      rechain(db, 37)
      for (const seq of [40, 50]) {
        const { hash } = db.prepare('SELECT hex(hash) AS hash FROM events WHERE seq = ?').get(seq) as { hash: string }
        const forged = attacker.sign({ seq, hash: hash.toLowerCase(), time: formatMicros(systemClock.nowMicros()) })
        db.prepare('UPDATE checkpoints SET hash = ?, time = ?, key_id = ?, signature = ? WHERE seq = ?').run(forged.hash, forged.time, forged.key_id, forged.signature, seq)
      }
    }), { seq: 40, code: 'checkpoint_signature' })
  })

  test('a checkpoint signature with one byte changed', async (t) => {
    await assertVerifyFails(tampered(t, closedTrail, (db) => {
      const { signature } = db.prepare('SELECT signature FROM checkpoints WHERE seq = 20').get() as { signature: string }
      const bytes = Buffer.from(signature, 'base64')
      bytes[7]! ^= 0x01
      db.prepare('UPDATE checkpoints SET signature = ? WHERE seq = 20').run(bytes.toString('base64'))
    }), { seq: 20, code: 'checkpoint_signature' })
  })

  test('the first events deleted behind a retention anchor forged with another key', async (t) => {
    const attacker = CheckpointSigner.open(tempDir(t, 'tt-attacker-key'))
    await assertVerifyFails(tampered(t, closedTrail, (db) => {
      const { hash } = db.prepare('SELECT hex(hash) AS hash FROM events WHERE seq = 10').get() as { hash: string }
      db.prepare('DELETE FROM events WHERE seq <= 10').run()
      const anchor = attacker.sign({ seq: 10, hash: hash.toLowerCase(), time: formatMicros(systemClock.nowMicros()) })
      // Claimed in the trail's own key id, so only the Ed25519 check itself can tell.
      const { key_id: trailKeyId } = db.prepare('SELECT key_id FROM checkpoints LIMIT 1').get() as { key_id: string }
      db.prepare('INSERT INTO anchors (seq, hash, time, key_id, signature, purged) VALUES (?, ?, ?, ?, ?, 10)').run(anchor.seq, anchor.hash, anchor.time, trailKeyId, anchor.signature)
    }), { seq: 10, code: 'anchor_signature' })
  })

  describe('a retention anchor forged from a checkpoint', { concurrency: 2 }, () => {
    /** The attack of docs/verification.md §9: no key needed, a checkpoint's row copied into anchors, the events up to it deleted. */
    const forge = (db: Database.Database): void => {
      db.prepare('INSERT INTO anchors (seq, hash, time, key_id, signature, purged) SELECT seq, hash, time, key_id, signature, 20 FROM checkpoints WHERE seq = 20').run()
      db.prepare('DELETE FROM events WHERE seq <= 20').run()
    }

    test('as a legacy anchor: no recorded purge confirms it (anchor_unproven), although its signature is the trail\'s own', async (t) => {
      await assertVerifyFails(tampered(t, closedTrail, (db) => forge(db)), { seq: 20, code: 'anchor_unproven' })
    })

    test('with a purge policy made up: its signature does not cover it (anchor_signature)', async (t) => {
      await assertVerifyFails(tampered(t, closedTrail, (db) => {
        forge(db)
        db.prepare("UPDATE anchors SET newest_received_at = '2025-12-17T21:00:00.000000Z', min_retention_ms = 1, retention_ms = 1").run()
      }), { seq: 20, code: 'anchor_signature' })
    })
  })

  describe('a legacy anchor, as purges before 0.2 wrote them (signing a checkpoint\'s payload)', { concurrency: 2 }, () => {
    /** 12 events, then a purge of the first 10 the way 0.1 made it, recorded in the chain or not. */
    async function legacyTrail(t: TestContext, recorded: boolean): Promise<string> {
      const dataDir = join(tempDir(t, 'tt-legacy'), 'data')
      await writeTrail(dataDir, batchesOf(1, 12, 6))
      const trail = await openTestTrail(dataDir)
      try {
        const hash = (await trail.store.hashAt(10))!.toString('hex')
        const anchor = { ...trail.signer.sign({ seq: 10, hash, time: formatMicros(systemClock.nowMicros()) }), purged: 10 }
        await trail.store.purge(anchor)
        if (recorded) await trail.record('retention_purge', 'Retention purged 10 events through seq 10', { ...anchor, by: trail.self })
      } finally {
        await trail.close()
      }
      return dataDir
    }

    test('verifies when the signed chain records its purge, and is listed as legacy', async (t) => {
      const dataDir = await legacyTrail(t, true)
      const result = await runCli(['verify', '--json'], { dataDir })
      assert.equal(result.code, 0, describeRun(result))
      const report = parseJson<{ anchor_seq: number; purges: Array<{ seq: number; from_seq: number; legacy: boolean; min_retention_ms: number | null }> }>(result)
      assert.deepEqual([report.anchor_seq, report.purges], [10, [{ ...report.purges[0], from_seq: 1, seq: 10, legacy: true, min_retention_ms: null }]])
      const human = await runCli(['verify'], { dataDir })
      assert.match(human.stdout, /^purge of seq 1\.\.10 \(10 events\) at \S+: a legacy anchor, which does not state the purge's policy\nOK: 3 events verified/)
    })

    test('without its purge recorded it cannot be told from a copied checkpoint (anchor_unproven)', async (t) => {
      await assertVerifyFails(await legacyTrail(t, false), { seq: 10, code: 'anchor_unproven' })
    })
  })

  test('verify --public-key of a different key rejects the trail\'s own signatures', async (t) => {
    const dataDir = copyDataDir(t, closedTrail, 'tt-tamper')
    const other = CheckpointSigner.open(tempDir(t, 'tt-other-key'))
    const keyFile = join(tempDir(t, 'tt-other-pem'), 'other.pub.pem')
    writeFileSync(keyFile, other.publicKeyPem)
    await assertVerifyFails(dataDir, { seq: 10, code: 'checkpoint_signature' }, ['--public-key', keyFile])
  })

  test('purge refuses to anchor a tampered history, deletes nothing, and records the refusal', async (t) => {
    const dataDir = join(tempDir(t, 'tt-tamper-purge'), 'data')
    await writeTrail(dataDir, batchesOf(1, 20, 10), { clock: new ManualClock(Date.now() - 6 * 365 * 86_400_000) })
    await writeTrail(dataDir, batchesOf(21, 25, 5))
    tamper(dataDir, (db) => editBody(db, 7, 'opened long EURUSD', 'rewritten'))
    const before = snapshotTrail(dataDir)
    const result = await runCli(['purge', '--older-than', '5y'], { dataDir })
    assert.equal(result.code, 1, describeRun(result))
    const lines = errorLines(result.stderr)
    assert.equal(lines.length, 1, JSON.stringify(lines))
    assert.match(lines[0]!, /seq 7\b.*TT_ERR_RETENTION_INVALID/)
    const after = snapshotTrail(dataDir)
    assert.deepEqual(after.events.slice(0, before.events.length), before.events, 'nothing was deleted')
    assert.deepEqual([after.anchors, after.events.length], [before.anchors, before.events.length + 1])
    const failure = JSON.parse((after.events.at(-1) as { body: string }).body) as { type: string; severity: string; message: string }
    assert.deepEqual([failure.type, failure.severity], ['retention_purge', 'critical'], 'the refused purge is itself recorded')
    assert.match(failure.message, /Retention purge failed: .*seq 7/)
  })
})
