/**
 * The spool's promises: every appended batch comes back once, in order, with its event count,
 * across reopen and segment rollover; maxBytes is never exceeded; a torn last write is cut
 * off; a corrupt older segment is reported and the rest still delivered; one process owns a
 * spool at a time. Everything runs against real files in a temp directory.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isDeepStrictEqual } from 'node:util'
import { describe, test, type TestContext } from 'node:test'
import { crc32 } from 'node:zlib'
import fc from 'fast-check'
import { TradetrailError } from '@tradetrail/core'
import { type SpoolOptions, type SpoolRecord, SpoolQueue } from '../../src/spool-queue.ts'
import { drain } from '../helpers/spool-drain.ts'

/** `[u32 length][u32 crc32][u32 events]`: the length counts what follows it (marker and payload). */
const HEADER = 12
/** The header and the `TTS2` marker before each payload. */
const FRAME = 16
const ROOMY: SpoolOptions = { maxBytes: 64 * 1024 * 1024 }

/** A temp directory for one test; spools opened through it are closed before it is removed. */
function scratch(t: TestContext): { root: string; dir: (name: string) => string; open: (dir: string, options?: SpoolOptions) => Promise<SpoolQueue> } {
  const root = mkdtempSync(join(tmpdir(), 'tt-spool-'))
  const opened: SpoolQueue[] = []
  t.after(async () => {
    for (const spool of opened) await spool.close()
    rmSync(root, { recursive: true, force: true })
  })
  return {
    root,
    dir: (name) => join(root, name),
    async open(dir, options = ROOMY) {
      const spool = await SpoolQueue.open(dir, options)
      opened.push(spool)
      return spool
    },
  }
}

/** A recognisable payload: `size` bytes of "<label>;" repeated. */
function payload(label: string | number, size: number): Buffer {
  return Buffer.alloc(size, `${label};`)
}

function segmentPath(dir: string, n: number): string {
  return join(dir, `${String(n).padStart(16, '0')}.seg`)
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.endsWith('.seg')).sort()
}

/** Offsets just past each frame of a segment file, read by the frame lengths alone. */
function frameEnds(path: string): number[] {
  const data = readFileSync(path)
  const ends: number[] = []
  for (let offset = 0; offset + HEADER <= data.length; offset += HEADER + data.readUInt32LE(offset)) {
    ends.push(offset + HEADER + data.readUInt32LE(offset))
  }
  return ends
}

/** A frame as the spool writes it (the on-disk format is a promise of its own). */
function encodeFrame(body: Buffer, events: number): Buffer {
  const out = Buffer.alloc(FRAME + body.length)
  out.writeUInt32LE(4 + body.length, 0)
  out.writeUInt32LE(events, 8)
  out.write('TTS2', HEADER)
  body.copy(out, FRAME)
  out.writeUInt32LE(crc32(out.subarray(8)), 4)
  return out
}

/** Flips one bit of a file in place, at `position`. */
function flipByte(path: string, position: number): void {
  const data = readFileSync(path)
  const fd = openSync(path, 'r+')
  try {
    writeSync(fd, Buffer.from([data[position]! ^ 0x40]), 0, 1, position)
  } finally {
    closeSync(fd)
  }
}

/**
 * A spool of five 60-byte records over several 200-byte segments, closed, with `tail` appended
 * to its newest segment (what a crash or a disk leaves behind).
 */
async function fiveRecordsThen(t: TestContext, tail: Buffer) {
  const s = scratch(t)
  const dir = s.dir('spool')
  const options = { ...ROOMY, segmentBytes: 200 }
  const written = records([60, 60, 60, 60, 60])
  const spool = await s.open(dir, options)
  await appendAll(spool, written)
  await spool.close()
  const files = segmentFiles(dir)
  assert.ok(files.length >= 2)
  const newest = join(dir, files[files.length - 1]!)
  const intactSize = statSync(newest).size
  appendFileSync(newest, tail)
  return { s, dir, options, written, files, newest, intactSize }
}

function assertPending(spool: SpoolQueue, records: readonly SpoolRecord[], step = ''): void {
  const actual = { records: spool.pendingRecords, events: spool.pendingEvents, bytes: spool.pendingBytes }
  const expected = {
    records: records.length,
    events: records.reduce((sum, r) => sum + r.events, 0),
    bytes: records.reduce((sum, r) => sum + FRAME + r.body.length, 0),
  }
  assert.deepEqual(actual, expected, `pending counters ${step}`)
}

/** A validator for assert.rejects/throws: TT_ERR_CLIENT_SPOOL whose message matches. */
function spoolError(message: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof TradetrailError, `a TradetrailError, got ${String(error)}`)
    assert.equal(error.code, 'TT_ERR_CLIENT_SPOOL')
    assert.match(error.message, message)
    return true
  }
}

/** Records of the given payload sizes, labelled `${prefix}${i}`, with varied event counts. */
function records(sizes: readonly number[], prefix = 'r'): SpoolRecord[] {
  return sizes.map((size, i) => ({ body: payload(`${prefix}${i}`, size), events: (i * 7) % 13 }))
}

async function appendAll(spool: SpoolQueue, list: readonly SpoolRecord[]): Promise<void> {
  for (const record of list) assert.equal(await spool.append(record.body, record.events), true)
}

describe('SpoolQueue', () => {
  test('records come back after reopen exactly as appended, in order, with their event counts', async (t) => {
    const s = scratch(t)
    const dir = s.dir('spool')
    const written = records([0, 1, 11, 12, 13, 200, 4096, 70_000, 5])
    let spool = await s.open(dir)
    assertPending(spool, [], 'when new')
    for (const [i, record] of written.entries()) {
      assert.equal(await spool.append(record.body, record.events), true)
      assertPending(spool, written.slice(0, i + 1), `after append ${i}`)
    }
    await spool.close()

    spool = await s.open(dir)
    assert.deepEqual(spool.warnings, [])
    assertPending(spool, written, 'after reopen')
    for (const [i, record] of written.entries()) {
      assert.deepEqual(await spool.peek(), record, `record ${i}`)
      assert.deepEqual(await spool.peek(), record, `record ${i}, peeked again before its ack`)
      assertPending(spool, written.slice(i), `peeked ${i}, not acked`)
      await spool.ack()
      assertPending(spool, written.slice(i + 1), `after ack ${i}`)
    }
    assert.equal(await spool.peek(), undefined)
    await spool.ack() // nothing peeked: a no-op
    assertPending(spool, [], 'after an ack with nothing peeked')
    await spool.close()

    spool = await s.open(dir)
    assertPending(spool, [], 'after reopening a delivered spool')
    assert.equal(await spool.peek(), undefined)
    await spool.close()
    await assert.rejects(spool.append(payload('late', 1), 1), spoolError(/it is closed/))
  })

  test('records span several segments; delivered segments leave the disk; the cursor survives a reopen mid-segment', async (t) => {
    const s = scratch(t)
    const dir = s.dir('spool')
    const options = { ...ROOMY, segmentBytes: 256 }
    const written = records(Array.from({ length: 24 }, (_, i) => 50 + ((i * 37) % 41)))
    let spool = await s.open(dir, options)
    await appendAll(spool, written)
    await spool.close()

    // Which records each segment holds, read off the files.
    const files = segmentFiles(dir)
    assert.ok(files.length >= 5, `records spread over ${files.length} segments`)
    const lastIndex: number[] = [] // per segment, the index of its last record
    let count = 0
    for (const file of files) {
      const frames = frameEnds(join(dir, file)).length
      assert.ok(frames >= 2 || file === files.at(-1), `${file} holds ${frames} records`)
      count += frames
      lastIndex.push(count - 1)
    }
    assert.equal(count, written.length)
    const expectedFiles = (acked: number): string[] =>
      files.filter((_, i) => lastIndex[i]! >= acked || i === files.length - 1)

    // Stop in the middle of the third segment.
    const half = lastIndex[1]! + 2
    spool = await s.open(dir, options)
    for (let i = 0; i < half; i++) {
      assert.deepEqual(await spool.peek(), written[i])
      await spool.ack()
      assert.deepEqual(segmentFiles(dir), expectedFiles(i + 1), `segment files after ack ${i}`)
    }
    await spool.close()

    spool = await s.open(dir, options)
    assertPending(spool, written.slice(half), 'after reopening mid-segment')
    for (let i = half; i < written.length; i++) {
      assert.deepEqual(await spool.peek(), written[i], `record ${i}`)
      await spool.ack()
      assert.deepEqual(segmentFiles(dir), expectedFiles(i + 1), `segment files after ack ${i}`)
    }
    assert.equal(await spool.peek(), undefined)
    assert.deepEqual(segmentFiles(dir), [files[files.length - 1]])

    // Appending after a full delivery starts cleanly, in a new segment once the last is full.
    const more = records([60, 70, 80], 'more')
    await appendAll(spool, more)
    await spool.close()
    spool = await s.open(dir, options)
    assert.deepEqual(await drain(spool), more)
  })

  test('an append that would exceed maxBytes writes nothing and returns false; acks make room again', async (t) => {
    const s = scratch(t)
    const dir = s.dir('spool')
    const maxBytes = 3 * (FRAME + 100)
    let spool = await s.open(dir, { maxBytes, segmentBytes: 150 })
    const written = records([100, 100, 100])
    assert.equal(spool.fits(100), true)
    await appendAll(spool, written)
    assert.equal(spool.pendingBytes, maxBytes)
    assert.equal(spool.fits(0), false)

    const sizes = (): number[] => segmentFiles(dir).map((file) => statSync(join(dir, file)).size)
    const before = sizes()
    assert.equal(await spool.append(payload('late', 1), 1), false)
    assert.equal(spool.appendSync(payload('late', 1), 1), false)
    assert.deepEqual(sizes(), before, 'nothing was written')
    assertPending(spool, written, 'after the refused appends')

    assert.deepEqual(await spool.peek(), written[0])
    await spool.ack()
    assert.equal(spool.fits(100), true)
    assert.equal(spool.fits(101), false)
    const next = { body: payload('next', 100), events: 4 }
    assert.equal(await spool.append(next.body, next.events), true)
    assert.equal(spool.pendingBytes, maxBytes)
    await spool.close()

    spool = await s.open(dir, { maxBytes, segmentBytes: 150 })
    assert.deepEqual(await drain(spool), [...written.slice(1), next])
  })

  describe('a torn last write is cut off at open, and appends after it read back', () => {
    // What a crash mid-append leaves: a prefix of a frame, pointing past the end of the file.
    const torn: Array<[string, () => Buffer]> = [
      ['the first three bytes of a frame', () => encodeFrame(payload('torn', 40), 2).subarray(0, 3)],
      ['a header without its marker', () => encodeFrame(payload('torn', 40), 2).subarray(0, HEADER)],
      ['a header and half its marker', () => encodeFrame(payload('torn', 40), 2).subarray(0, HEADER + 2)],
      ['a header without its payload', () => encodeFrame(payload('torn', 40), 2).subarray(0, FRAME)],
      ['half a frame', () => encodeFrame(payload('torn', 40), 2).subarray(0, FRAME + 20)],
      ['all but the last byte', () => encodeFrame(payload('torn', 40), 2).subarray(0, FRAME + 39)],
    ]
    for (const [name, tail] of torn) {
      test(name, async (t) => {
        const { s, dir, options, written, files, newest, intactSize } = await fiveRecordsThen(t, tail())
        let spool: SpoolQueue

        spool = await s.open(dir, options)
        assert.deepEqual(spool.warnings, [], 'a torn tail is expected after a crash, not a warning')
        assertPending(spool, written, 'after the torn tail')
        assert.equal(statSync(newest).size, intactSize, 'the torn part is gone from the file')
        assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.corrupt-')), [], 'nothing kept aside')
        const after = { body: payload('after', 30), events: 3 }
        assert.equal(await spool.append(after.body, after.events), true)
        assert.deepEqual(await drain(spool), [...written, after])
        await spool.close()

        spool = await s.open(dir, options)
        assertPending(spool, [], 'after delivering everything')
      })
    }
  })

  describe('anything else at the end of the newest segment is damage: reported, kept aside, the records before it delivered', () => {
    const junk: Array<[string, () => Buffer]> = [
      ['bytes that are not a frame', () => Buffer.from('power failed in the middle of this sentence')],
      ['a whole frame with a wrong CRC', () => {
        const frame = encodeFrame(payload('torn', 40), 2)
        frame.writeUInt32LE((frame.readUInt32LE(4) ^ 1) >>> 0, 4)
        return frame
      }],
      ['a header claiming 4 GiB', () => {
        const header = encodeFrame(payload('torn', 40), 2).subarray(0, FRAME)
        header.writeUInt32LE(0xffff_ffff, 0)
        return header
      }],
      ['a whole frame whose length claims more than the file holds', () => {
        const frame = encodeFrame(payload('torn', 40), 2)
        frame.writeUInt32LE(frame.readUInt32LE(0) + 100, 0)
        return frame
      }],
      ['a frame of the first format', () => {
        const body = payload('v1', 40)
        const out = Buffer.alloc(HEADER + body.length)
        out.writeUInt32LE(body.length, 0)
        out.writeUInt32LE(2, 8)
        body.copy(out, HEADER)
        out.writeUInt32LE(crc32(out.subarray(8)), 4)
        return out
      }],
    ]
    for (const [name, tail] of junk) {
      test(name, async (t) => {
        const { s, dir, options, written, files, newest, intactSize } = await fiveRecordsThen(t, tail())
        let spool: SpoolQueue
        const found = readFileSync(newest)

        spool = await s.open(dir, options)
        assert.equal(spool.warnings.length, 1)
        spoolError(new RegExp(`segment ${files.at(-1)} is damaged at bytes ${intactSize}-${found.length}: ${found.length - intactSize} bytes .* the segment as found is in ${files.at(-1)}\.corrupt-1`))(spool.warnings[0])
        assert.deepEqual(readFileSync(`${newest}.corrupt-1`), found, 'the damaged segment kept as found')
        assert.equal(statSync(newest).size, intactSize, 'the segment holds its intact records only')
        assertPending(spool, written)
        const after = { body: payload('after', 30), events: 3 }
        assert.equal(await spool.append(after.body, after.events), true)
        assert.deepEqual(await drain(spool), [...written, after])
        await spool.close()
        spool = await s.open(dir, options)
        assert.deepEqual(spool.warnings, [], 'reported once')
      })
    }
  })

  test('a corrupt record in an older segment is reported with its events; every other record is still delivered', async (t) => {
    const s = scratch(t)
    const dir = s.dir('spool')
    const options = { ...ROOMY, segmentBytes: 200 }
    const written = records(Array.from({ length: 12 }, () => 50)) // 66-byte frames: 4 per segment
    let spool = await s.open(dir, options)
    await appendAll(spool, written)
    await spool.close()
    const files = segmentFiles(dir)
    assert.equal(files.length, 3)
    assert.deepEqual(files.map((file) => frameEnds(join(dir, file)).length), [4, 4, 4])
    const [secondOfMiddle, thirdOfMiddle] = frameEnds(join(dir, files[1]!))
    flipByte(join(dir, files[1]!), secondOfMiddle! + FRAME + 5) // record 5's payload
    const found = readFileSync(join(dir, files[1]!))

    spool = await s.open(dir, options)
    assert.equal(spool.warnings.length, 1)
    spoolError(new RegExp(`segment ${files[1]} is damaged at bytes ${secondOfMiddle}-${thirdOfMiddle}: 66 bytes holding ${written[5]!.events} events? \\(by its header\\) were skipped.*the segment as found is in ${files[1]}\\.corrupt-1`))(spool.warnings[0])
    assert.deepEqual(readFileSync(join(dir, `${files[1]}.corrupt-1`)), found)
    const delivered = written.filter((_, i) => i !== 5)
    assertPending(spool, delivered, 'with the corrupt record skipped')
    const after = { body: payload('after', 50), events: 1 }
    assert.equal(await spool.append(after.body, after.events), true)
    assert.deepEqual(await drain(spool), [...delivered, after])
  })

  test('a flipped length in the first record of the newest segment loses that record only, reported', async (t) => {
    const s = scratch(t)
    const dir = s.dir('spool')
    const options = { ...ROOMY, segmentBytes: 1000 }
    const written = records([50, 50, 50])
    let spool = await s.open(dir, options)
    await appendAll(spool, written)
    await spool.close()
    const [file] = segmentFiles(dir)
    const [second] = frameEnds(join(dir, file!))
    flipByte(join(dir, file!), 1) // the length now claims 16 KiB more

    spool = await s.open(dir, options)
    assert.equal(spool.warnings.length, 1, 'reported: the records after it were intact')
    spoolError(new RegExp(`segment ${file} is damaged at bytes 0-${second}: 66 bytes holding ${written[0]!.events} events? \\(by its header\\)`))(spool.warnings[0])
    assertPending(spool, written.slice(1))
    assert.deepEqual(await drain(spool), written.slice(1))
  })

  test('a record that changes on disk after open is skipped with a warning counting it, and the counters follow', async (t) => {
    const s = scratch(t)
    const dir = s.dir('spool')
    const options = { ...ROOMY, segmentBytes: 200 }
    const written = records(Array.from({ length: 8 }, () => 50)) // two segments of 4
    const spool = await s.open(dir, options)
    await appendAll(spool, written)
    const first = segmentPath(dir, 0)
    flipByte(first, frameEnds(first)[1]! + FRAME) // record 2's payload

    assert.deepEqual(await drain(spool), written.filter((_, i) => i !== 2))
    assert.equal(spool.warnings.length, 1)
    spoolError(new RegExp(`segment 0000000000000000\\.seg changed on disk after the spool opened: bytes 132-198 \\(66 bytes holding 1 record of ${written[2]!.events} events?\\) were skipped.*the segment as found is in 0000000000000000\\.seg\\.corrupt-1`))(spool.warnings[0])
    assert.ok(existsSync(`${first}.corrupt-1`), 'kept aside, although the segment itself is gone once delivered')
    assertPending(spool, [], 'after the skip')

    // The same in the only segment, its last record: the spool reads as empty, not as "pending but nothing to peek".
    const alone = records([40, 40, 40], 'alone')
    await appendAll(spool, alone)
    const newest = join(dir, segmentFiles(dir).at(-1)!)
    const ends = frameEnds(newest)
    flipByte(newest, ends[ends.length - 2]! + FRAME) // the last record's payload
    assert.deepEqual(await drain(spool), alone.slice(0, 2))
    assert.equal(spool.warnings.length, 2)
    assertPending(spool, [], 'after the skip in the only segment')
  })

  test('one owner at a time: a live owner refuses a second open, a dead owner is taken over, close releases', async (t) => {
    const s = scratch(t)
    const dir = s.dir('spool')
    const spool = await s.open(dir)
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), String(process.pid))
    await assert.rejects(SpoolQueue.open(dir, ROOMY), spoolError(new RegExp(`in use by process ${process.pid}\\b`)))
    assert.equal(await spool.append(payload('kept', 10), 1), true)
    await spool.close()
    assert.equal(existsSync(join(dir, 'lock')), false, 'close() removes the lock')

    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
    const deadPid = child.pid!
    await new Promise((resolve) => child.once('exit', resolve))
    writeFileSync(join(dir, 'lock'), String(deadPid))
    const next = await s.open(dir)
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), String(process.pid))
    assert.deepEqual(await drain(next), [{ body: payload('kept', 10), events: 1 }])
    await next.close()

    writeFileSync(join(dir, 'lock'), '') // a crash between creating the lock and writing the pid
    const again = await s.open(dir)
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), String(process.pid))
    await again.close()
  })

  test('a lock naming our own pid that this process never took is an earlier incarnation\'s (a restarted container\'s pid 1)', async (t) => {
    const s = scratch(t)
    const dir = s.dir('spool')
    mkdirSync(dir)
    writeFileSync(join(dir, 'lock'), String(process.pid))
    const spool = await s.open(dir)
    await assert.rejects(SpoolQueue.open(dir, ROOMY), spoolError(new RegExp(`in use by process ${process.pid}\\b`)))
    // The same directory by another path is the same spool.
    await assert.rejects(SpoolQueue.open(join(s.root, '.', 'spool', '..', 'spool'), ROOMY), spoolError(/in use by process/))
    await spool.close()
    const again = await s.open(dir)
    await again.close()
  })

  test('an open that fails after taking the lock releases it', async (t) => {
    const s = scratch(t)
    const dir = s.dir('spool')
    mkdirSync(segmentPath(dir, 0), { recursive: true }) // a directory where a segment should be
    await assert.rejects(SpoolQueue.open(dir, ROOMY), spoolError(/it is a directory/))
    assert.equal(existsSync(join(dir, 'lock')), false)
    rmSync(segmentPath(dir, 0), { recursive: true })
    const spool = await s.open(dir)
    assertPending(spool, [])
  })

  test('appendSync while an async append is under way: every record intact, each exactly once, in write order', async (t) => {
    const s = scratch(t)

    // The very first append of a new spool is still opening its segment when appendSync runs.
    const fresh = await s.open(s.dir('fresh'))
    const async0 = { body: payload('async', 40), events: 1 }
    const sync0 = { body: payload('sync', 30), events: 2 }
    const appending = fresh.append(async0.body, async0.events)
    assert.equal(fresh.appendSync(sync0.body, sync0.events), true)
    assert.equal(await appending, true)
    assertPending(fresh, [sync0, async0])
    assert.deepEqual(await drain(fresh), [sync0, async0])
    const late = { body: payload('late', 20), events: 3 }
    assert.equal(await fresh.append(late.body, late.events), true)
    assert.deepEqual(await drain(fresh), [late])

    // appendSync at varied points of an append's open/write/datasync, across rollovers.
    const dir = s.dir('interleaved')
    const options = { ...ROOMY, segmentBytes: 300 }
    let spool = await s.open(dir, options)
    const pairs: Array<[SpoolRecord, SpoolRecord]> = []
    for (let i = 0; i < 40; i++) {
      const a = { body: payload(`async${i}`, 30 + (i % 7) * 9), events: i }
      const b = { body: payload(`sync${i}`, 20 + (i % 5) * 11), events: 100 + i }
      pairs.push([a, b])
      const pending = spool.append(a.body, a.events)
      for (let turn = 0; turn < i % 5; turn++) await new Promise((resolve) => setImmediate(resolve))
      assert.equal(spool.appendSync(b.body, b.events), true)
      assert.equal(await pending, true)
    }
    assertPending(spool, pairs.flat())
    // Within a pair either may reach the file first (the async bytes land before its datasync
    // resolves); pairs never mix, because the next append starts after both.
    const check = (got: SpoolRecord[], from: number): void => {
      assert.equal(got.length % 2, 0)
      for (let k = 0; k < got.length; k += 2) {
        const [a, b] = pairs[from + k / 2]!
        const pair = got.slice(k, k + 2)
        assert.ok(
          (isDeepStrictEqual(pair[0], a) && isDeepStrictEqual(pair[1], b)) || (isDeepStrictEqual(pair[0], b) && isDeepStrictEqual(pair[1], a)),
          `pair ${from + k / 2} intact`)
      }
    }
    const firstHalf: SpoolRecord[] = []
    for (let k = 0; k < 40; k++) {
      const record = await spool.peek()
      assert.ok(record)
      firstHalf.push({ body: Buffer.from(record.body), events: record.events })
      await spool.ack()
    }
    check(firstHalf, 0)
    await spool.close()
    spool = await s.open(dir, options)
    const rest = await drain(spool)
    assert.equal(rest.length, 40)
    check(rest, 20)
  })

  test('a spool directory that cannot be made is TT_ERR_CLIENT_SPOOL saying why', async (t) => {
    const s = scratch(t)
    const file = join(s.root, 'a-file')
    writeFileSync(file, 'not a directory')
    const dir = join(file, 'spool')
    await assert.rejects(SpoolQueue.open(dir, ROOMY), (error) => {
      spoolError(/a path component is not a directory/)(error)
      assert.ok((error as Error).message.includes(dir), 'the message names the directory')
      return true
    })
  })

  describe('an unusable cursor file means starting at the oldest segment: resends, never losses', () => {
    const cursors: Array<[string, string]> = [
      ['garbage', 'not a cursor\n'],
      ['empty', ''],
      ['NUL bytes (a rename that beat its data to disk)', '\0\0\0\0\0\0'],
      ['a negative offset', '1 -5\n'],
      ['a fractional segment', '1.5 0\n'],
      ['a segment that is not on disk (beyond the newest)', '99 0\n'],
    ]
    for (const [name, content] of cursors) {
      test(name, async (t) => {
        const s = scratch(t)
        const dir = s.dir('spool')
        const options = { ...ROOMY, segmentBytes: 200 }
        const written = records(Array.from({ length: 10 }, () => 50)) // segments of 4, 4, 2
        let spool = await s.open(dir, options)
        await appendAll(spool, written)
        for (let i = 0; i < 5; i++) {
          await spool.peek()
          await spool.ack()
        }
        await spool.close()
        assert.equal(readFileSync(join(dir, 'cursor'), 'utf8'), '1 66\n')
        assert.deepEqual(segmentFiles(dir), ['0000000000000001.seg', '0000000000000002.seg'])
        writeFileSync(join(dir, 'cursor'), content)

        spool = await s.open(dir, options)
        // Record 4 (delivered, but in the oldest remaining segment) comes again; none is missing.
        assert.deepEqual(await drain(spool), written.slice(4))
      })
    }
  })

  test('property: peek always returns the head of a simple model, and the counters match it', async (t) => {
    const s = scratch(t)
    type Op =
      | { kind: 'append' | 'appendSync'; size: number; events: number }
      | { kind: 'peek' | 'ack' | 'deliver' | 'reopen' }
    const op: fc.Arbitrary<Op> = fc.oneof(
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), size: fc.nat(180), events: fc.nat(1000) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('appendSync' as const), size: fc.nat(180), events: fc.nat(1000) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('peek' as const) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('ack' as const) }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reopen' as const) }) },
    )
    let run = 0
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), fc.integer({ min: 40, max: 400 }), fc.integer({ min: 200, max: 1500 }), async (ops, segmentBytes, maxBytes) => {
        const dir = s.dir(`run-${run++}`)
        const options = { maxBytes, segmentBytes }
        const model: SpoolRecord[] = []
        let peeked = false // whether an ack now delivers the model's head
        const bytes = (): number => model.reduce((sum, r) => sum + FRAME + r.body.length, 0)
        let spool = await SpoolQueue.open(dir, options)
        try {
          for (const [i, o] of ops.entries()) {
            const step = `step ${i} (${o.kind})`
            switch (o.kind) {
              case 'append':
              case 'appendSync': {
                const record = { body: payload(`${run}.${i}`, o.size), events: o.events }
                const fits = bytes() + FRAME + o.size <= maxBytes
                assert.equal(spool.fits(o.size), fits, step)
                const kept = o.kind === 'append' ? await spool.append(record.body, record.events) : spool.appendSync(record.body, record.events)
                assert.equal(kept, fits, step)
                if (kept) model.push(record)
                break
              }
              case 'peek':
                assert.deepEqual(await spool.peek(), model[0], step)
                peeked = model.length > 0
                break
              case 'ack':
                await spool.ack()
                if (peeked) model.shift()
                peeked = false
                break
              case 'deliver':
                assert.deepEqual(await spool.peek(), model[0], step)
                await spool.ack()
                model.shift()
                peeked = false
                break
              case 'reopen':
                peeked = false
                await spool.close()
                spool = await SpoolQueue.open(dir, options)
                assert.deepEqual(spool.warnings, [], step)
                break
            }
            assertPending(spool, model, step)
          }
          await spool.close()
          spool = await SpoolQueue.open(dir, options)
          assertPending(spool, model, 'after the final reopen')
          assert.deepEqual(await drain(spool), model)
        } finally {
          await spool.close()
          rmSync(dir, { recursive: true, force: true })
        }
      }),
      { numRuns: 80 },
    )
  })
})
