import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import { canonicalize } from '../src/canonical-json.ts'
import type { StoredEvent } from '../src/event.ts'
import { type ChainFields, GENESIS_HASH, canonicalEventText, chainHash, chainHashHex, hashStoredEvent } from '../src/hash-chain.ts'

type VectorEvent = Omit<StoredEvent, 'hash'>
interface HashChainVectors {
  description: string
  genesis_prev_hash: string
  events: VectorEvent[]
  canonical: string[]
  hashes: string[]
}

const vectorsUrl = new URL('../test-vectors/hash-chain.json', import.meta.url)
const vectorsText = readFileSync(vectorsUrl, 'utf8')
const vectors: HashChainVectors = JSON.parse(vectorsText)

/** What a store hands to canonicalEventText: data and metadata already as canonical text. */
function chainFields(e: VectorEvent): ChainFields {
  const { data, metadata, ...rest } = e
  return {
    ...rest,
    dataJson: data === undefined ? undefined : canonicalize(data),
    metadataJson: metadata === undefined ? undefined : canonicalize(metadata),
  }
}

test('the vector file is consistent and covers what it claims', () => {
  const { events, canonical, hashes } = vectors
  assert.equal(events.length, canonical.length)
  assert.equal(events.length, hashes.length)
  assert.ok(events.length >= 5)
  for (const h of hashes) assert.match(h, /^[0-9a-f]{64}$/)
  assert.ok(events.some((e) => e.source === undefined && e.actor === undefined && e.data === undefined && e.metadata === undefined && e.flags === undefined), 'an event with no optional field')
  assert.ok(events.some((e) => e.source !== undefined && e.actor !== undefined && e.data !== undefined && e.metadata !== undefined), 'an event with every optional field')
  assert.ok(events.some((e) => e.flags !== undefined && e.flags.length > 0), 'an event with flags')
  assert.ok(events.some((e) => /\.\d{9}Z$/.test(e.ts)), 'a nanosecond ts')
  assert.ok(events.some((e) => /[^\x00-\x7f]/.test(e.message)), 'a non-ASCII message')
  assert.ok(events.some((e) => e.submitter !== undefined), 'an event with a submitter')
})

test('the genesis prev_hash is 32 zero bytes', () => {
  assert.equal(GENESIS_HASH.length, 32)
  assert.ok(GENESIS_HASH.every((b) => b === 0))
  assert.equal(GENESIS_HASH.toString('hex'), vectors.genesis_prev_hash)
})

vectors.events.forEach((event, i) => {
  test(`vector event seq ${event.seq}: canonicalEventText is the JCS text of the event`, () => {
    assert.equal(canonicalEventText(chainFields(event)), vectors.canonical[i])
    // The hand-ordered writer agrees with the generic canonicalizer over the whole event.
    assert.equal(canonicalize(event), vectors.canonical[i])
  })
})

test('the chain of chainHash over the vectors gives the expected hashes', () => {
  let prev: Uint8Array = Buffer.from(vectors.genesis_prev_hash, 'hex')
  const got: string[] = []
  for (const event of vectors.events) {
    const hash = chainHash(prev, canonicalEventText(chainFields(event)))
    assert.equal(hash.length, 32)
    got.push(hash.toString('hex'))
    prev = hash
  }
  assert.deepEqual(got, vectors.hashes)
})

test('chainHashHex, over hex hashes as verify reads them, gives the vectors too, also for a text past its scratch buffer', () => {
  let prev = vectors.genesis_prev_hash
  const got: string[] = []
  for (const event of vectors.events) got.push(prev = chainHashHex(prev, canonicalEventText(chainFields(event))))
  assert.deepEqual(got, vectors.hashes)
  const long = canonicalEventText({ ...chainFields(vectors.events[0]!), message: 'é'.repeat(200_000) })
  assert.equal(chainHashHex(vectors.hashes[0]!, long), chainHash(Buffer.from(vectors.hashes[0]!, 'hex'), long).toString('hex'))
})

test('hashStoredEvent agrees with the vectors, and ignores a hash field already present', () => {
  let prev: Uint8Array = GENESIS_HASH
  vectors.events.forEach((event, i) => {
    const hash = hashStoredEvent(prev, event)
    assert.equal(hash.toString('hex'), vectors.hashes[i], `seq ${event.seq}`)
    assert.equal(hashStoredEvent(prev, { ...event, hash: 'f'.repeat(64) }).toString('hex'), vectors.hashes[i])
    prev = hash
  })
})

test('the vector file is reproduced exactly by make-hash-chain.py', (t) => {
  let out: string
  try {
    const script = fileURLToPath(new URL('../test-vectors/make-hash-chain.py', import.meta.url))
    out = execFileSync('python3', [script, '--stdout'], { encoding: 'utf8' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return t.skip('python3 is not installed')
    throw error
  }
  assert.equal(out, vectorsText)
})

// The event with every field present, and its predecessor's hash.
const fullIndex = vectors.events.findIndex((e) => e.source !== undefined && e.actor !== undefined && e.data !== undefined && e.metadata !== undefined)
const full = vectors.events[fullIndex]!
const fullPrev = Buffer.from(fullIndex === 0 ? vectors.genesis_prev_hash : vectors.hashes[fullIndex - 1]!, 'hex')
const fullHash = vectors.hashes[fullIndex]!

test('changing any single field of an event changes its hash', () => {
  const variants: Array<[string, VectorEvent]> = [
    ['seq', { ...full, seq: full.seq + 1 }],
    ['id', { ...full, id: full.id.replace(/.$/, (c) => (c === '0' ? '1' : '0')) }],
    ['ts', { ...full, ts: full.ts.replace('Z', '+00:00') }],
    ['ts digit', { ...full, ts: full.ts.replace(/\d(?=Z$)/, (d) => String((+d + 1) % 10)) }],
    ['project', { ...full, project: full.project + 'x' }],
    ['type', { ...full, type: 'trade_closed' }],
    ['severity', { ...full, severity: 'critical' }],
    ['message', { ...full, message: full.message + ' ' }],
    ['message case', { ...full, message: full.message.toLowerCase() }],
    ['source', { ...full, source: full.source + 'x' }],
    ['source removed', (({ source: _, ...e }) => e)(full)],
    ['actor', { ...full, actor: full.actor + 'x' }],
    ['actor removed', (({ actor: _, ...e }) => e)(full)],
    ['data value', { ...full, data: { ...full.data, price: 1.0851 } }],
    ['data key added', { ...full, data: { ...full.data, note: null } }],
    ['data emptied', { ...full, data: {} }],
    ['data removed', (({ data: _, ...e }) => e)(full)],
    ['metadata value', { ...full, metadata: { ...full.metadata, pid: 4243 } }],
    ['metadata removed', (({ metadata: _, ...e }) => e)(full)],
    ['data and metadata swapped', { ...full, data: full.metadata!, metadata: full.data! }],
    ['source and actor swapped', { ...full, source: full.actor!, actor: full.source! }],
    ['flags added', { ...full, flags: ['privilege_violation'] }],
    ['received_at', { ...full, received_at: full.received_at.replace(/\d(?=Z$)/, (d) => String((+d + 1) % 10)) }],
  ]
  const seen = new Set([fullHash])
  for (const [what, variant] of variants) {
    const hash = hashStoredEvent(fullPrev, variant).toString('hex')
    assert.notEqual(hash, fullHash, `changing ${what} must change the hash`)
    assert.ok(!seen.has(hash), `changing ${what} gives a hash of its own`)
    seen.add(hash)
  }
})

test('the submitter is covered by the hash: changed or removed, the hash changes', () => {
  const submitted = vectors.events.find((e) => e.submitter !== undefined)!
  const base = hashStoredEvent(GENESIS_HASH, submitted).toString('hex')
  assert.notEqual(hashStoredEvent(GENESIS_HASH, { ...submitted, submitter: 'collector' }).toString('hex'), base)
  assert.notEqual(hashStoredEvent(GENESIS_HASH, (({ submitter: _, ...e }) => e)(submitted)).toString('hex'), base)
})

test('flag order and content are covered by the hash', () => {
  const flagged = vectors.events.find((e) => e.flags !== undefined && e.flags.length > 1)!
  const base = hashStoredEvent(GENESIS_HASH, flagged).toString('hex')
  assert.notEqual(hashStoredEvent(GENESIS_HASH, { ...flagged, flags: [...flagged.flags!].reverse() }).toString('hex'), base)
  assert.notEqual(hashStoredEvent(GENESIS_HASH, { ...flagged, flags: flagged.flags!.slice(1) }).toString('hex'), base)
})

test('the hash depends on the previous hash: one changed bit anywhere breaks the rest of the chain', () => {
  const text = canonicalEventText(chainFields(full))
  const prev = Buffer.from(fullPrev)
  prev[31]! ^= 1
  assert.notEqual(chainHash(prev, text).toString('hex'), fullHash)
  assert.notEqual(chainHash(GENESIS_HASH, text).toString('hex'), chainHash(Buffer.alloc(32, 0xff), text).toString('hex'))
})

test('deleting, inserting or reordering events is detected by recomputing the chain', () => {
  /** Index of the first event whose recomputed hash differs from the stored one, or -1. */
  const firstBad = (events: VectorEvent[], hashes: string[]): number => {
    let prev: Uint8Array = GENESIS_HASH
    for (let i = 0; i < events.length; i++) {
      const hash = hashStoredEvent(prev, events[i]!)
      if (hash.toString('hex') !== hashes[i]) return i
      prev = Buffer.from(hashes[i]!, 'hex')
    }
    return -1
  }
  const { events, hashes } = vectors
  assert.equal(firstBad(events, hashes), -1)
  // Reorder events 2 and 3 (hashes stay in place, as they would in a tampered file).
  assert.equal(firstBad([events[0]!, events[2]!, events[1]!, ...events.slice(3)], hashes), 1)
  // Delete event 2 together with its hash.
  assert.equal(firstBad([events[0]!, ...events.slice(2)], [hashes[0]!, ...hashes.slice(2)]), 1)
  // Insert a copy of event 1 with a correctly recomputed hash: the next one no longer chains.
  const inserted = { ...events[0]!, seq: 2 }
  const insertedHash = hashStoredEvent(Buffer.from(hashes[0]!, 'hex'), inserted).toString('hex')
  assert.equal(firstBad([events[0]!, inserted, ...events.slice(1)], [hashes[0]!, insertedHash, ...hashes.slice(1)]), 2)
})

test('canonicalEventText writes keys in JCS order with optional fields left out when absent or null', () => {
  const minimal: ChainFields = {
    seq: 7, id: 'i', ts: 't', project: 'p', type: 'y', severity: 'info', message: 'm', received_at: 'r',
  }
  const text = '{"id":"i","message":"m","project":"p","received_at":"r","seq":7,"severity":"info","ts":"t","type":"y"}'
  assert.equal(canonicalEventText(minimal), text)
  assert.equal(canonicalEventText({ ...minimal, source: null, actor: null, dataJson: null, metadataJson: null, flags: null }), text)
  assert.equal(canonicalEventText({ ...minimal, flags: [] }), text)
  // An empty string is a value, not an absence.
  assert.equal(canonicalEventText({ ...minimal, source: '' }), text.replace('"ts"', '"source":"","ts"'))
})
