/**
 * The signer and verifier of checkpoints and anchors (legacy ones too) against the known-answer vectors of
 * packages/core/test-vectors/checkpoint-signature.json, which openssl made without this code
 * (docs/verification.md describes the bytes; a verifier in another language tests itself on them).
 */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { createPublicKey } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import type { Anchor, Checkpoint } from '@tradetrail/core'
import { tempDir } from '@tradetrail/test-support'
import { CheckpointSigner, PRIVATE_KEY_FILE, anchorPayload, checkpointPayload, keyId, verifyAnchor, verifyCheckpoint } from '../../src/checkpoint-signer.ts'

interface Signed<R = Checkpoint> {
  payload: string
  payload_hex: string
  record: R
}
interface SignatureVectors {
  private_key_pem: string
  public_key_pem: string
  public_key_raw_hex: string
  key_id: string
  checkpoint: Signed
  anchor: Signed<Required<Anchor>>
  anchor_below_minimum: Signed<Required<Anchor>>
  legacy_anchor: Signed<Anchor>
}

const vectorsUrl = new URL('../../../core/test-vectors/checkpoint-signature.json', import.meta.url)
const vectorsText = readFileSync(vectorsUrl, 'utf8')
const vectors: SignatureVectors = JSON.parse(vectorsText)
const publicKey = createPublicKey(vectors.public_key_pem)

test('key_id is the first 16 hex digits of SHA-256 over the raw public key', () => {
  assert.equal(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex'), vectors.public_key_raw_hex)
  assert.equal(keyId(publicKey), vectors.key_id)
})

function vectorSigner(t: Parameters<typeof tempDir>[0]): CheckpointSigner {
  const dir = tempDir(t, 'tt-signer')
  writeFileSync(join(dir, PRIVATE_KEY_FILE), vectors.private_key_pem, { mode: 0o600 })
  const signer = CheckpointSigner.open(dir, { create: false })
  assert.equal(signer.keyId, vectors.key_id)
  assert.equal(signer.publicKeyPem, vectors.public_key_pem)
  return signer
}

for (const kind of ['checkpoint', 'legacy_anchor'] as const) {
  test(`the ${kind} vector: its payload bytes, a signature the signer reproduces, and one the verifier accepts`, (t) => {
    const { payload, payload_hex: payloadHex, record } = vectors[kind]
    assert.equal(checkpointPayload(record).toString('utf8'), payload)
    assert.equal(checkpointPayload(record).toString('hex'), payloadHex)
    // Ed25519 is deterministic: the same key and payload give the same signature.
    const { seq, hash, time, key_id, signature } = record
    assert.deepEqual(vectorSigner(t).sign({ seq, hash, time }), { seq, hash, time, key_id, signature })
    assert.ok(kind === 'checkpoint' ? verifyCheckpoint(record, publicKey) : verifyAnchor(record as Anchor, publicKey))
  })
}

for (const kind of ['anchor', 'anchor_below_minimum'] as const) {
  test(`the ${kind} vector: its payload bytes, a signature the signer reproduces, and one the verifier accepts, as an anchor only`, (t) => {
    const { payload, payload_hex: payloadHex, record } = vectors[kind]
    assert.equal(anchorPayload(record).toString('utf8'), payload)
    assert.equal(anchorPayload(record).toString('hex'), payloadHex)
    const { key_id: _keyId, signature: _signature, ...statement } = record
    assert.deepEqual(vectorSigner(t).signAnchor(statement), record)
    assert.ok(verifyAnchor(record, publicKey))
    assert.equal(verifyCheckpoint(record, publicKey), false, 'an anchor\'s signature is never a checkpoint\'s')
    for (const [field, changed] of [['purged', record.purged + 1], ['retention_ms', record.retention_ms + 1], ['newest_received_at', record.newest_received_at.replace('Z', '1Z')],
      ['below_minimum', record.below_minimum === null ? 'a reason' : null]] as const) {
      assert.equal(verifyAnchor({ ...record, [field]: changed }, publicKey), false, `${field} changed`)
    }
  })
}

test('a checkpoint\'s signature does not make an anchor: as a legacy anchor it is one, with a policy it is not', () => {
  const copied = { ...vectors.checkpoint.record, purged: 6 }
  assert.ok(verifyAnchor(copied, publicKey), 'indistinguishable from a legacy anchor by its signature (verify asks the chain)')
  const withPolicy = { ...copied, newest_received_at: '2025-12-17T21:00:07.502113Z', min_retention_ms: 1, retention_ms: 1, below_minimum: null }
  assert.equal(verifyAnchor(withPolicy, publicKey), false)
})

test('the verifier refuses a one-character change of any signed field, another key id, and a signature not written as sign() writes it', () => {
  const record = vectors.checkpoint.record
  /** `s` with the character at `at` replaced by another of both alphabets (hex, base64). */
  const swap = (s: string, at: number): string => s.slice(0, at) + (s[at] === '0' ? '1' : '0') + s.slice(at + 1)
  const variants: Array<[string, Checkpoint]> = [
    ['seq', { ...record, seq: record.seq + 1 }],
    ['hash', { ...record, hash: swap(record.hash, 10) }],
    ['time', { ...record, time: record.time.replace('.000000Z', '.000001Z') }],
    ['time written otherwise', { ...record, time: record.time.replace('.000000Z', 'Z') }],
    ['key_id', { ...record, key_id: swap(record.key_id, 0) }],
    ['signature', { ...record, signature: swap(record.signature, 5) }],
    ['signature without padding', { ...record, signature: record.signature.replace(/=+$/, '') }],
    ['signature in URL-safe base64', { ...record, signature: record.signature.replaceAll('/', '_').replaceAll('+', '-') }],
    ['signature with a line break', { ...record, signature: record.signature.slice(0, 40) + '\n' + record.signature.slice(40) }],
  ]
  assert.match(record.signature, /[+/]/, 'the vector signature has a character that URL-safe base64 writes otherwise')
  for (const [what, variant] of variants) assert.equal(verifyCheckpoint(variant, publicKey), false, `${what} changed: ${JSON.stringify(variant)}`)
})

test('the vector file is reproduced exactly by make-checkpoint-signature.py (python3 and openssl, not this code)', (t) => {
  let out: string
  try {
    const script = fileURLToPath(new URL('../../../core/test-vectors/make-checkpoint-signature.py', import.meta.url))
    out = execFileSync('python3', [script, '--stdout'], { encoding: 'utf8' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && process.env.CI !== 'true') return t.skip('python3 is not installed: THE SIGNATURE VECTORS ARE NOT REPRODUCED')
    throw error
  }
  assert.equal(out, vectorsText)
})
