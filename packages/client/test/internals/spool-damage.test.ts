/**
 * The spool's promise under damage: whatever happens to the bytes of a segment (a flipped
 * byte, garbage written over or into it, a truncation), every record whose bytes are intact
 * is delivered exactly once, in order; every loss is reported with what it held; the damaged
 * segment is kept aside as found; and only a torn tail (the newest segment ending inside its
 * last record, as a crash mid-append leaves it) is cut without a word. Run over spools of both
 * frame formats, at every byte for flips and truncations, and at sampled and boundary
 * positions for garbage.
 */
import assert from 'node:assert/strict'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { type SpoolRecord, SpoolQueue } from '../../src/spool-queue.ts'
import { drain } from '../helpers/spool-drain.ts'

const HEADER = 12
const OPTIONS = { maxBytes: 64 * 1024 * 1024, segmentBytes: 120 }

/** One record as laid out on disk. */
interface Placed {
  record: SpoolRecord
  file: string
  start: number
  end: number
}

type Damage =
  | { kind: 'flip'; file: string; at: number; mask: number }
  | { kind: 'overwrite' | 'insert'; file: string; at: number; garbage: Buffer }
  | { kind: 'truncate'; file: string; at: number }

/** What the spool must make of a damaged copy. */
interface Expected {
  delivered: SpoolRecord[]
  /** The one damaged range to be reported, or none. */
  gap?: { file: string; from: number; to: number; events?: number }
}

const root = mkdtempSync(join(tmpdir(), 'tt-spool-damage-'))
after(() => rmSync(root, { recursive: true, force: true }))
let runs = 0

function records(count: number): SpoolRecord[] {
  return Array.from({ length: count }, (_, i) => ({ body: Buffer.alloc(8 + ((i * 13) % 30), `rec${i};`), events: 1 + ((i * 5) % 11) }))
}

/** A first-format frame, as SDKs before the marker wrote them. */
function v1Frame(record: SpoolRecord): Buffer {
  const out = Buffer.alloc(HEADER + record.body.length)
  out.writeUInt32LE(record.body.length, 0)
  out.writeUInt32LE(record.events, 8)
  record.body.copy(out, HEADER)
  out.writeUInt32LE(crc32(out.subarray(8)), 4)
  return out
}

/** Where each record sits, read off the files by the frames' lengths. */
function layout(dir: string, written: readonly SpoolRecord[]): Placed[] {
  const placed: Placed[] = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.seg')).sort()) {
    const data = readFileSync(join(dir, file))
    for (let offset = 0; offset < data.length; offset += HEADER + data.readUInt32LE(offset)) {
      placed.push({ record: written[placed.length]!, file, start: offset, end: offset + HEADER + data.readUInt32LE(offset) })
    }
  }
  assert.equal(placed.length, written.length)
  return placed
}

/** A pristine spool of `written`, in the current format (through SpoolQueue) or the first one. */
async function pristine(version: 1 | 2, written: readonly SpoolRecord[]): Promise<{ dir: string; placed: Placed[] }> {
  const dir = join(root, `pristine-v${version}-${runs++}`)
  if (version === 2) {
    const spool = await SpoolQueue.open(dir, OPTIONS)
    for (const record of written) assert.equal(await spool.append(record.body, record.events), true)
    await spool.close()
  } else {
    mkdirSync(dir)
    const frames = written.map(v1Frame)
    for (let n = 0; frames.length > 0; n++) {
      const segment = frames.splice(0, 3)
      writeFileSync(join(dir, `${String(n).padStart(16, '0')}.seg`), Buffer.concat(segment))
    }
  }
  return { dir, placed: layout(dir, written) }
}

function apply(data: Buffer, damage: Damage): Buffer {
  switch (damage.kind) {
    case 'flip': {
      const out = Buffer.from(data)
      out[damage.at] = out[damage.at]! ^ damage.mask
      return out
    }
    case 'overwrite': {
      const out = Buffer.from(data)
      damage.garbage.copy(out, damage.at, 0, Math.min(damage.garbage.length, data.length - damage.at))
      return out
    }
    case 'insert':
      return Buffer.concat([data.subarray(0, damage.at), damage.garbage, data.subarray(damage.at)])
    case 'truncate':
      return data.subarray(0, damage.at)
  }
}

/** The rules, stated on the layout: which records survive and which range is reported. */
function expect(placed: readonly Placed[], original: Buffer, damaged: Buffer, damage: Damage, newest: string): Expected {
  const inFile = placed.filter((p) => p.file === damage.file)
  if (damage.kind === 'truncate') {
    const delivered = placed.filter((p) => p.file !== damage.file || p.end <= damage.at).map((p) => p.record)
    const cut = inFile.find((p) => p.start < damage.at && damage.at < p.end)
    // In the newest segment any truncation looks like a torn write; elsewhere a cut record is reported.
    if (!cut || damage.file === newest) return { delivered }
    const events = damage.at - cut.start >= (isV2(original) ? 16 : HEADER) ? cut.record.events : undefined
    return { delivered, gap: { file: damage.file, from: cut.start, to: damage.at, events } }
  }
  let hit: Placed[]
  let from: number
  let to: number
  if (damage.kind === 'insert') {
    hit = inFile.filter((p) => p.start < damage.at && damage.at < p.end)
    from = hit[0]?.start ?? damage.at
    to = (hit[0]?.end ?? damage.at) + damage.garbage.length
  } else {
    const changed: number[] = []
    for (let i = 0; i < original.length; i++) if (original[i] !== damaged[i]) changed.push(i)
    if (changed.length === 0) return { delivered: placed.map((p) => p.record) }
    hit = inFile.filter((p) => changed.some((i) => p.start <= i && i < p.end))
    from = hit[0]!.start
    to = hit[hit.length - 1]!.end
  }
  const delivered = placed.filter((p) => !hit.includes(p)).map((p) => p.record)
  let events: number | undefined
  if (damage.kind === 'flip') {
    // One record hit: its header is believed; a flip in its event count is what it says.
    const offset = damage.at - hit[0]!.start
    events = offset >= 8 && offset < HEADER ? damaged.readUInt32LE(hit[0]!.start + 8) : hit[0]!.record.events
  }
  return { delivered, gap: { file: damage.file, from, to, events } }
}

function isV2(data: Buffer): boolean {
  return data.length >= 16 && data.toString('latin1', HEADER, 16) === 'TTS2'
}

/** Damages a copy of the pristine spool, reopens it and holds the outcome to the rules. */
async function check(base: { dir: string; placed: Placed[] }, damage: Damage): Promise<void> {
  const dir = join(root, `run-${runs++}`)
  cpSync(base.dir, dir, { recursive: true })
  try {
    const path = join(dir, damage.file)
    const original = readFileSync(path)
    const damaged = apply(original, damage)
    writeFileSync(path, damaged)
    const files = readdirSync(dir).filter((f) => f.endsWith('.seg')).sort()
    const want = expect(base.placed, original, damaged, damage, files[files.length - 1]!)
    const label = JSON.stringify({ ...damage, garbage: undefined })

    let spool = await SpoolQueue.open(dir, OPTIONS)
    try {
      const messages = spool.warnings.map((w) => { assert.equal(w.code, 'TT_ERR_CLIENT_SPOOL'); return w.message })
      if (want.gap) {
        const { file, from, to, events } = want.gap
        assert.equal(messages.length, 1, `${label}: one report, got ${JSON.stringify(messages)}`)
        const held = events === undefined ? '(an unknown number of events|(at least )?\\d+ events?)' : `(at least )?${events} events?`
        assert.match(messages[0]!, new RegExp(`segment ${file} is damaged at bytes ${from}-${to}: ${to - from} bytes holding ${held}.* the segment as found is in ${file}\\.corrupt-1`), label)
        assert.deepEqual(readFileSync(`${path}.corrupt-1`), damaged, `${label}: kept aside as found`)
      } else {
        assert.deepEqual(messages, [], `${label}: nothing to report`)
        assert.equal(readdirSync(dir).some((f) => f.includes('.corrupt-')), false, `${label}: nothing kept aside`)
      }
      assert.equal(spool.pendingRecords, want.delivered.length, `${label}: pending records`)
      assert.equal(spool.pendingEvents, want.delivered.reduce((sum, r) => sum + r.events, 0), `${label}: pending events`)
      const late = { body: Buffer.from('appended after the damage'), events: 2 }
      assert.equal(await spool.append(late.body, late.events), true)
      const got = await drain(spool)
      assert.deepEqual(got, [...want.delivered, late], `${label}: every intact record once, in order`)
      await spool.close()
      spool = await SpoolQueue.open(dir, OPTIONS)
      assert.deepEqual(spool.warnings, [], `${label}: reported once`)
      assert.equal(await spool.peek(), undefined)
    } finally {
      await spool.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Positions worth a look in a file: each field of each header, each record boundary and its neighbours, the end. */
function boundaries(base: { dir: string; placed: Placed[] }, file: string): number[] {
  const size = readFileSync(join(base.dir, file)).length
  const at = new Set<number>([size - 1, size])
  for (const p of base.placed.filter((q) => q.file === file)) {
    for (const i of [0, 1, 3, 4, 8, 11, 12, 13, 15, 16]) at.add(p.start + i)
    at.add(p.end - 1)
  }
  return [...at].filter((i) => i >= 0 && i <= size).sort((a, b) => a - b)
}

for (const version of [2, 1] as const) {
  describe(`damage to a spool of frame format ${version}`, () => {
    const written = records(9)
    let base: { dir: string; placed: Placed[] }
    let files: string[]
    before(async () => {
      base = await pristine(version, written)
      files = [...new Set(base.placed.map((p) => p.file))]
      assert.ok(files.length >= 3, `${files.length} segments`)
    })

    test('a flipped byte anywhere loses only the record it is in, reported with its events', async () => {
      for (const file of files) {
        const size = readFileSync(join(base.dir, file)).length
        for (let at = 0; at < size; at++) await check(base, { kind: 'flip', file, at, mask: 0x40 })
      }
    })

    test('a flip of any single bit of the first header of each segment', async () => {
      for (const file of files) {
        for (let at = 0; at < 16; at++) {
          for (let bit = 0; bit < 8; bit++) await check(base, { kind: 'flip', file, at, mask: 1 << bit })
        }
      }
    })

    test('a truncation anywhere: the newest segment is cut silently (a torn write looks the same); an older one reports the record it ends in', async () => {
      for (const file of files) {
        const size = readFileSync(join(base.dir, file)).length
        for (let at = 0; at < size; at++) await check(base, { kind: 'truncate', file, at })
      }
    })

    test('garbage written over or into a segment, at boundaries and sampled positions', async () => {
      // Text never passes for a header (its length field reads as more than 256 MiB) nor for a marker.
      const garbage = fc.string({ unit: fc.constantFrom(...'power failed; '), minLength: 16, maxLength: 150 }).map((s) => Buffer.from(s))
      for (const file of files) {
        for (const at of boundaries(base, file)) {
          await check(base, { kind: 'insert', file, at, garbage: Buffer.from('garbage garbage garbage') })
          if (at < readFileSync(join(base.dir, file)).length) await check(base, { kind: 'overwrite', file, at, garbage: Buffer.from('garbage garbage garbage') })
        }
      }
      await fc.assert(fc.asyncProperty(
        fc.constantFrom(...files), fc.double({ min: 0, max: 1, noNaN: true }), garbage, fc.constantFrom('insert' as const, 'overwrite' as const),
        async (file, where, bytes, kind) => {
          const size = readFileSync(join(base.dir, file)).length
          const at = Math.min(size - (kind === 'overwrite' ? 1 : 0), Math.floor(where * (size + 1)))
          await check(base, { kind, file, at, garbage: bytes })
        }), { numRuns: 60 })
    })
  })
}

for (const version of [2, 1] as const) {
  test(`a byte that changes under an open spool (format ${version}) loses only its record, counted exactly`, async () => {
    const written = records(9)
    const base = await pristine(version, written)
    for (const file of [...new Set(base.placed.map((p) => p.file))]) {
      const size = readFileSync(join(base.dir, file)).length
      for (let at = 0; at < size; at++) {
        const dir = join(root, `open-${runs++}`)
        cpSync(base.dir, dir, { recursive: true })
        const spool = await SpoolQueue.open(dir, OPTIONS)
        try {
          const path = join(dir, file)
          const data = readFileSync(path)
          data[at] = data[at]! ^ 0x40
          writeFileSync(path, data)
          const hit = base.placed.find((p) => p.file === file && p.start <= at && at < p.end)!
          const label = `${file} byte ${at}`
          assert.deepEqual(await drain(spool), written.filter((r) => r !== hit.record), label)
          assert.equal(spool.warnings.length, 1, label)
          assert.match(spool.warnings[0]!.message, new RegExp(`segment ${file} changed on disk after the spool opened: bytes ${hit.start}-${hit.end} \\(${hit.end - hit.start} bytes holding 1 record of ${hit.record.events} events?\\)`), label)
          assert.deepEqual(readFileSync(`${path}.corrupt-1`), data, `${label}: kept aside`)
          assert.deepEqual([spool.pendingRecords, spool.pendingEvents, spool.pendingBytes], [0, 0, 0], `${label}: counters`)
        } finally {
          await spool.close()
          rmSync(dir, { recursive: true, force: true })
        }
      }
    }
    rmSync(base.dir, { recursive: true, force: true })
  })
}

test('a directory of first-format segments gets its new records in a new segment of the current format, and reads as one queue', async () => {
  const written = records(7)
  const dir = join(root, 'mixed')
  mkdirSync(dir)
  writeFileSync(join(dir, '0000000000000000.seg'), Buffer.concat(written.slice(0, 3).map(v1Frame)))
  writeFileSync(join(dir, '0000000000000001.seg'), Buffer.concat(written.slice(3, 5).map(v1Frame)))
  let spool = await SpoolQueue.open(dir, OPTIONS)
  assert.deepEqual(spool.warnings, [])
  assert.equal(await spool.append(written[5]!.body, written[5]!.events), true)
  assert.equal(spool.appendSync(written[6]!.body, written[6]!.events), true)
  assert.equal(readFileSync(join(dir, '0000000000000001.seg')).length, written.slice(3, 5).map(v1Frame).reduce((sum, f) => sum + f.length, 0), 'the old segment is not appended to')
  assert.ok(isV2(readFileSync(join(dir, '0000000000000002.seg'))))
  assert.deepEqual((await spool.peek())?.body, written[0]!.body)
  await spool.ack()
  await spool.close()
  spool = await SpoolQueue.open(dir, OPTIONS)
  assert.deepEqual(spool.warnings, [])
  assert.deepEqual(await drain(spool), written.slice(1))
  await spool.close()
  assert.equal(existsSync(join(dir, '0000000000000000.seg')), false)
})
