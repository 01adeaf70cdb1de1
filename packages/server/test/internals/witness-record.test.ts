import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { parseWitnessRecord, witnessFileName, witnessKey } from '../../src/witness/witness-record.ts'

const vectors = JSON.parse(readFileSync(new URL('../../../core/test-vectors/checkpoint-signature.json', import.meta.url), 'utf8'))

test('a record\'s idempotency key and file name are as docs/verification.md §11 derives them', () => {
  const record = { kind: 'checkpoint' as const, ...vectors.checkpoint.record }
  assert.equal(witnessKey(record), 'checkpoint-6-cb0b185b35a8937c2bc3d482e1919f69')
  assert.notEqual(witnessKey({ ...record, kind: 'anchor' }), witnessKey(record), 'the kind is part of the key')
  assert.equal(witnessFileName(record), 'checkpoint-00000000000000000006.json')
  assert.equal(witnessFileName({ kind: 'anchor', seq: 12_345_678_901 }), 'anchor-00000000012345678901.json')
})

test('a record read back names what is wrong with it', () => {
  const good = { kind: 'anchor', ...vectors.anchor.record, purged: 3, later: 'members a later version adds' }
  assert.deepEqual(parseWitnessRecord(good), good)
  const cases: Array<[unknown, string]> = [
    [[good], 'not a JSON object'],
    [{ ...good, kind: 'event' }, '"kind" is not "checkpoint" or "anchor"'],
    [{ ...good, seq: 0 }, '"seq" is not a positive integer'],
    [{ ...good, seq: 1.5 }, '"seq" is not a positive integer'],
    [{ ...good, signature: undefined }, '"signature" is not a string'],
  ]
  for (const [value, problem] of cases) assert.equal(parseWitnessRecord(value), problem)
})
