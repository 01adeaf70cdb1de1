/**
 * `tradetrail verify --witness DIR|FILE`: the trail checked against what its witnesses hold.
 * A witness keeps every checkpoint and anchor as it was signed, out of reach of whoever holds
 * the trail's disk and key: a chain rewritten and re-signed since, a cut tail, a key replaced,
 * an anchor forged or lost all disagree with it (docs/verification.md, §6 and "Witnesses").
 */
import type { KeyObject } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { ERR_FILE_ACCESS, type EventStore, fileError } from '@tradetrail/core'
import { verifyAnchor, verifyCheckpoint } from '../checkpoint-signer.ts'
import type { VerifyProblem, VerifyReport } from '../verify-trail.ts'
import { WITNESS_FILE_NAME, type WitnessRecord, parseWitnessRecord } from './witness-record.ts'

/** The problems only a witness reveals; VERIFY_PROBLEM_CODES lists them with the others. */
export const WITNESS_PROBLEM_CODES = ['witness_mismatch', 'witness_truncated', 'witness_anchor', 'witness_signature'] as const

/** A verify report with the witnesses' part: how many distinct records they hold. */
export type WitnessedReport = VerifyReport & { witness: { checkpoints: number; anchors: number } }

/**
 * The records of one witness: a witness directory (the folders named after key ids in it, or
 * one such folder), one record file, or a file of records one per line (what an endpoint kept).
 * Anything else is an error naming the path (TT_ERR_FILE_*): a typo must not pass for a witness
 * that holds nothing.
 */
export function readWitness(path: string): WitnessRecord[] {
  const fail = (error: unknown): never => { throw fileError(error, 'read', path) ?? error }
  let records: WitnessRecord[]
  try {
    records = statSync(path).isDirectory() ? readWitnessDirectory(path) : parseRecords(path, readFileSync(path, 'utf8'))
  } catch (error) {
    return fail(error)
  }
  if (records.length === 0) throw ERR_FILE_ACCESS.create(path, 'holds no witness records (checkpoint-*.json or anchor-*.json files, or JSON lines of records)')
  return records
}

function readWitnessDirectory(dir: string): WitnessRecord[] {
  const records: WitnessRecord[] = []
  const files = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.isFile() && WITNESS_FILE_NAME.test(entry.name)) records.push(...parseRecords(join(at, entry.name), readFileSync(join(at, entry.name), 'utf8')))
      else if (at === dir && entry.isDirectory() && !entry.name.startsWith('.')) files(join(at, entry.name))
    }
  }
  files(dir)
  return records
}

function parseRecords(path: string, text: string): WitnessRecord[] {
  const parse = (json: string, where: string): WitnessRecord => {
    let value: unknown
    try {
      value = JSON.parse(json)
    } catch (error) {
      throw ERR_FILE_ACCESS.create(where, `not a witness record (${(error as Error).message})`)
    }
    const record = parseWitnessRecord(value)
    if (typeof record === 'string') throw ERR_FILE_ACCESS.create(where, `not a witness record: ${record}`)
    return record
  }
  if (text.trim() === '') return []
  try {
    // One record, on one line (a witness file) or several (pretty-printed by hand).
    return [parse(text, path)]
  } catch (error) {
    const lines = text.split('\n')
    if (lines.filter((l) => l.trim() !== '').length < 2) throw error
    return lines.flatMap((line, i) => (line.trim() === '' ? [] : [parse(line, `${path}:${i + 1}`)]))
  }
}

/**
 * Checks the trail in `store` against the witnessed records, their signatures with `publicKey`
 * (the key verify uses). Each witnessed record with a good signature must agree with the trail:
 * a checkpoint with the stored hash at its seq, or lie beyond the head (`witness_truncated`);
 * an anchor with the trail's anchor at its seq; and every anchor the trail holds must have been
 * witnessed. Only the first mismatch and the first truncation are named, as verify does.
 */
export async function checkWitnesses(store: EventStore, publicKey: KeyObject, witnessed: readonly WitnessRecord[]): Promise<{ checkpoints: number; anchors: number; problems: VerifyProblem[] }> {
  const unique = new Map<string, WitnessRecord>()
  for (const r of witnessed) unique.set(`${r.kind} ${r.signature}`, r)
  const records = [...unique.values()].sort((a, b) => a.seq - b.seq || (a.kind === b.kind ? 0 : a.kind === 'checkpoint' ? -1 : 1))
  const head = (await store.head()).seq
  const trailAnchors = await store.anchors()
  const anchor = trailAnchors.at(-1)
  const anchorSeq = anchor?.seq ?? 0
  const problems: VerifyProblem[] = []
  let mismatch = false
  let truncated = false
  const witnessedAnchors = new Map<number, string>()
  for (const r of records) {
    const what = `the witnessed ${r.kind} at seq ${r.seq} (signed ${r.time})`
    if (!(r.kind === 'anchor' ? verifyAnchor(r, publicKey) : verifyCheckpoint(r, publicKey))) {
      problems.push({ seq: r.seq, code: 'witness_signature', message: `${what} is not signed by the key used: the key was replaced, or the record is not this trail's` })
      continue
    }
    if (r.kind === 'anchor') {
      witnessedAnchors.set(r.seq, r.signature)
      const held = trailAnchors.find((a) => a.seq === r.seq)
      if (held === undefined) problems.push({ seq: r.seq, code: 'witness_anchor', message: `${what} is not in the trail: its anchors were removed or the trail was restored from before that purge` })
      else if (held.signature !== r.signature || held.hash !== r.hash) problems.push({ seq: r.seq, code: 'witness_anchor', message: `the trail's anchor at seq ${r.seq} differs from ${what}: it was replaced` })
    } else if (r.seq > head) {
      if (!truncated) problems.push({ seq: head + 1, code: 'witness_truncated', message: `${what} lies beyond the trail's last event, seq ${head}: events were removed from the end` })
      truncated = true
    } else if (!mismatch) {
      // Below the anchor the events are purged: only the anchor's own seq still has a hash.
      const stored = r.seq > anchorSeq ? (await store.hashAt(r.seq))?.toString('hex') : r.seq === anchorSeq ? anchor!.hash : undefined
      if (stored !== undefined && stored !== r.hash) {
        problems.push({ seq: r.seq, code: 'witness_mismatch', message: `event seq ${r.seq} differs from ${what}: the chain was rewritten since` })
        mismatch = true
      }
    }
  }
  for (const a of trailAnchors) {
    if (!witnessedAnchors.has(a.seq)) {
      problems.push({ seq: a.seq, code: 'witness_anchor', message: `the trail's anchor at seq ${a.seq} (signed ${a.time}) was never witnessed: a forged anchor, or a witness that lags (see GET /v1/witnesses)` })
    }
  }
  return { checkpoints: records.filter((r) => r.kind === 'checkpoint').length, anchors: records.filter((r) => r.kind === 'anchor').length, problems }
}

/** `report` with the witness check's problems merged in by seq (verify's own first at an equal seq). */
export function withWitnessCheck(report: VerifyReport, check: Awaited<ReturnType<typeof checkWitnesses>>): WitnessedReport {
  const problems = [...(report.problem === null ? [] : [report.problem]), ...check.problems].sort((a, b) => a.seq - b.seq)
  const problem = problems[0] ?? null
  return { ...report, ok: problem === null, problem, witness: { checkpoints: check.checkpoints, anchors: check.anchors } }
}
