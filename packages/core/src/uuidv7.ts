import { randomFillSync } from 'node:crypto'

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
const POOL_SIZE = 16 * 256
const pool = Buffer.allocUnsafe(POOL_SIZE)
let poolOffset = POOL_SIZE
let lastMs = -1
let counter = 0

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then a 12-bit counter that keeps
 * ids made in the same millisecond in order (method 1 of §6.2), then 62 random bits.
 * Time-ordered ids keep the store's unique index append-only, which is what makes
 * durable inserts fast. Random bytes come from a pooled buffer: one syscall per 256 ids.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs
    counter = 0
  } else if (++counter > 0xfff) {
    // More than 4096 ids in one millisecond: borrow the next millisecond to stay ordered.
    lastMs++
    counter = 0
  }
  if (poolOffset + 8 > POOL_SIZE) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const r = poolOffset
  poolOffset += 8
  const ms = lastMs
  const hi = Math.floor(ms / 0x1000000) // top 24 bits
  const lo = ms % 0x1000000 // low 24 bits
  return (
    HEX[(hi >>> 16) & 0xff]! + HEX[(hi >>> 8) & 0xff]! + HEX[hi & 0xff]! + HEX[(lo >>> 16) & 0xff]! + '-' +
    HEX[(lo >>> 8) & 0xff]! + HEX[lo & 0xff]! + '-' +
    HEX[0x70 | (counter >>> 8)]! + HEX[counter & 0xff]! + '-' +
    HEX[0x80 | (pool[r]! & 0x3f)]! + HEX[pool[r + 1]!]! + '-' +
    HEX[pool[r + 2]!]! + HEX[pool[r + 3]!]! + HEX[pool[r + 4]!]! + HEX[pool[r + 5]!]! + HEX[pool[r + 6]!]! + HEX[pool[r + 7]!]!
  )
}

/**
 * A UUIDv7 whose time is `ms` and whose other 74 bits come from `digest` (at least 10
 * bytes): the same input always gives the same id, so re-importing a file stores nothing twice.
 */
export function derivedUuidv7(ms: number, digest: Uint8Array): string {
  const t = Math.max(0, Math.min(ms, 0xffffffffffff))
  const hi = Math.floor(t / 0x1000000)
  const lo = t % 0x1000000
  return (
    HEX[(hi >>> 16) & 0xff]! + HEX[(hi >>> 8) & 0xff]! + HEX[hi & 0xff]! + HEX[(lo >>> 16) & 0xff]! + '-' +
    HEX[(lo >>> 8) & 0xff]! + HEX[lo & 0xff]! + '-' +
    HEX[0x70 | (digest[0]! & 0x0f)]! + HEX[digest[1]!]! + '-' +
    HEX[0x80 | (digest[2]! & 0x3f)]! + HEX[digest[3]!]! + '-' +
    HEX[digest[4]!]! + HEX[digest[5]!]! + HEX[digest[6]!]! + HEX[digest[7]!]! + HEX[digest[8]!]! + HEX[digest[9]!]!
  )
}
