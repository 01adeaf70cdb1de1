/**
 * Tampering with a trail as an attacker with write access to its SQLite file would: the
 * append-only triggers dropped, then raw SQL. For tests that expect verification to catch it.
 */
import assert from 'node:assert/strict'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { chainHash } from '@tradetrail/core'
import type { Hooks } from '@tradetrail/test-support'
import type { CheckpointSigner } from '../../src/checkpoint-signer.ts'
import { DATABASE_FILE } from '../../src/trail/open-trail.ts'
import { copyDataDir } from './trail.ts'

/** Opens the trail's SQLite file as an attacker would: triggers dropped, then raw SQL. */
export function tamper(dataDir: string, edit: (db: Database.Database) => void): void {
  const db = new Database(join(dataDir, DATABASE_FILE))
  try {
    db.exec('DROP TRIGGER events_append_only; DROP TRIGGER events_purge_only;')
    edit(db)
  } finally {
    db.close()
  }
}

export interface EventRow {
  seq: number; id: string; ts_key: string; project: string; type: string; severity: number; source: string | null
  /** The canonical JSON the hash covers. */
  body: string
  hash: Buffer
}

/** Recomputes every hash from `fromSeq` on with the core's chainHash, so that the chain itself is consistent again. */
export function rechain(db: Database.Database, fromSeq: number): void {
  const rows = db.prepare('SELECT * FROM events WHERE seq >= ? - 1 ORDER BY seq').all(fromSeq) as EventRow[]
  let prev = rows[0]!.hash
  const update = db.prepare('UPDATE events SET hash = ? WHERE seq = ?')
  for (const row of rows.slice(1)) {
    prev = chainHash(prev, row.body)
    update.run(prev, row.seq)
  }
}

/**
 * Signs every checkpoint with seq ≥ `fromSeq` again over the hash now stored at its seq, with
 * `signer` (the key on disk, stolen; or one the attacker put in its place), at its old time: the
 * trail's own checkpoints then vouch for a rewritten chain.
 */
export function resign(db: Database.Database, signer: CheckpointSigner, fromSeq: number): void {
  const rows = db.prepare('SELECT c.seq, c.time, lower(hex(e.hash)) AS hash FROM checkpoints c JOIN events e ON e.seq = c.seq WHERE c.seq >= ?').all(fromSeq) as Array<{ seq: number; time: string; hash: string }>
  const update = db.prepare('UPDATE checkpoints SET hash = ?, key_id = ?, signature = ? WHERE seq = ?')
  for (const row of rows) {
    const forged = signer.sign(row)
    update.run(forged.hash, forged.key_id, forged.signature, row.seq)
  }
}

/** Replaces `from` with `to` in the stored text of event `seq` (and checks that it was there). */
export function editBody(db: Database.Database, seq: number, from: string, to: string): void {
  const { body } = db.prepare('SELECT body FROM events WHERE seq = ?').get(seq) as { body: string }
  assert.ok(body.includes(from), `${from} in ${body}`)
  db.prepare('UPDATE events SET body = ? WHERE seq = ?').run(body.replace(from, to), seq)
}

/** A copy of `template` tampered by `edit`, owned by test `t`. */
export function tampered(t: Hooks, template: string, edit: (db: Database.Database) => void): string {
  const dataDir = copyDataDir(t, template, 'tt-tamper')
  tamper(dataDir, edit)
  return dataDir
}
