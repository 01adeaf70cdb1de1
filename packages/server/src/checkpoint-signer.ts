/**
 * The Ed25519 key that signs checkpoints and retention anchors, each in a payload of its own.
 * Generated in the data directory at first use (private key mode 0600); the public key is
 * exported with the checkpoints so that anyone can check them without access to the collector.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto'
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { type Anchor, type Checkpoint, ERR_SIGNING_KEY, isLegacyAnchor } from '@tradetrail/core'

export const PRIVATE_KEY_FILE = 'checkpoint-key.pem'
export const PUBLIC_KEY_FILE = 'checkpoint-key.pub.pem'

/** The exact bytes a checkpoint signature covers (and a legacy anchor's: docs/verification.md §8). */
export function checkpointPayload(c: Pick<Checkpoint, 'seq' | 'hash' | 'time'>): Buffer {
  return Buffer.from(`tradetrail-checkpoint-v1\n${c.seq}\n${c.hash}\n${c.time}\n`, 'utf8')
}

/** What an anchor states besides its signature. */
export type AnchorStatement = Omit<Required<Anchor>, 'key_id' | 'signature'>

/**
 * The exact bytes an anchor signature covers: its own first line, so that no checkpoint's
 * signature is ever an anchor's, then the purge's count and policy. A `below_minimum` reason is
 * one line (config.ts refuses line breaks), so every field is one line.
 */
export function anchorPayload(a: AnchorStatement): Buffer {
  const lines = [a.seq, a.hash, a.time, a.purged, a.newest_received_at, a.min_retention_ms, a.retention_ms, a.below_minimum ?? '']
  return Buffer.from(`tradetrail-anchor-v2\n${lines.join('\n')}\n`, 'utf8')
}

/** First 16 hex digits of SHA-256 over the raw 32-byte public key. */
export function keyId(publicKey: KeyObject): string {
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32)
  return createHash('sha256').update(raw).digest('hex').slice(0, 16)
}

/**
 * Whether `c` carries a valid signature by `publicKey`. The signature must be written exactly as
 * sign() writes it (standard base64 with padding): Buffer.from() would also take URL-safe
 * letters, missing padding and stray characters, which a verifier in another language need not.
 */
export function verifyCheckpoint(c: Checkpoint, publicKey: KeyObject): boolean {
  return verifySigned(c, checkpointPayload(c), publicKey)
}

/** Whether anchor `a` carries a valid signature by `publicKey`: over anchorPayload(), or a checkpoint's payload for a legacy anchor. */
export function verifyAnchor(a: Anchor, publicKey: KeyObject): boolean {
  return verifySigned(a, isLegacyAnchor(a) ? checkpointPayload(a) : anchorPayload(a as Required<Anchor>), publicKey)
}

function verifySigned(record: Checkpoint, payload: Buffer, publicKey: KeyObject): boolean {
  try {
    const signature = Buffer.from(record.signature, 'base64')
    return keyId(publicKey) === record.key_id && signature.toString('base64') === record.signature && verify(null, payload, publicKey, signature)
  } catch {
    return false
  }
}

export class CheckpointSigner {
  readonly publicKey: KeyObject
  readonly publicKeyPem: string
  readonly keyId: string
  readonly #privateKey: KeyObject

  private constructor(privateKey: KeyObject) {
    this.#privateKey = privateKey
    this.publicKey = createPublicKey(privateKey)
    this.publicKeyPem = this.publicKey.export({ format: 'pem', type: 'spki' }).toString()
    this.keyId = keyId(this.publicKey)
  }

  /** Loads the key from `dir`, creating it (and `dir`) on first use unless `create` is false. */
  static open(dir: string, options: { create?: boolean } = {}): CheckpointSigner {
    const path = join(dir, PRIVATE_KEY_FILE)
    let pem: string
    try {
      pem = readFileSync(path, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw ERR_SIGNING_KEY.create(path, (error as Error).message)
      if (options.create === false) throw ERR_SIGNING_KEY.create(path, 'it does not exist: this data directory has no signing key')
      return CheckpointSigner.#create(dir)
    }
    try {
      return new CheckpointSigner(createPrivateKey(pem))
    } catch (error) {
      throw ERR_SIGNING_KEY.create(path, `not a usable Ed25519 private key (${(error as Error).message})`)
    }
  }

  static #create(dir: string): CheckpointSigner {
    const path = join(dir, PRIVATE_KEY_FILE)
    try {
      mkdirSync(dir, { recursive: true })
      const { privateKey, publicKey } = generateKeyPairSync('ed25519')
      // O_EXCL: two processes starting at once must not each write a different key.
      writeDurably(path, privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(), 0o600, constants.O_EXCL)
      writeDurably(join(dir, PUBLIC_KEY_FILE), publicKey.export({ format: 'pem', type: 'spki' }).toString(), 0o644, 0)
      return new CheckpointSigner(privateKey)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return CheckpointSigner.open(dir)
      throw ERR_SIGNING_KEY.create(path, (error as Error).message)
    }
  }

  sign(c: Pick<Checkpoint, 'seq' | 'hash' | 'time'>): Checkpoint {
    const signature = sign(null, checkpointPayload(c), this.#privateKey).toString('base64')
    return { seq: c.seq, hash: c.hash, time: c.time, key_id: this.keyId, signature }
  }

  signAnchor(a: AnchorStatement): Required<Anchor> {
    const signature = sign(null, anchorPayload(a), this.#privateKey).toString('base64')
    const { seq, hash, time, purged, newest_received_at, min_retention_ms, retention_ms, below_minimum } = a
    return { seq, hash, time, key_id: this.keyId, signature, purged, newest_received_at, min_retention_ms, retention_ms, below_minimum }
  }
}

function writeDurably(path: string, text: string, mode: number, extraFlags: number): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | extraFlags, mode)
  try {
    writeSync(fd, text)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
