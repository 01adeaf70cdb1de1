/**
 * The data directory check at open (seed 003's lesson): a missing directory is created, an
 * unusable one is an error naming the path, one whose contents vanish on restart (tmpfs, or
 * /tmp inside a container) is a loud warning, or with `strict` a refusal.
 */
import assert from 'node:assert/strict'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, test, type TestContext } from 'node:test'
import { TradetrailError, filesystemOf } from '@tradetrail/core'
import { permissionsApply, removeDir, tempDir } from '@tradetrail/test-support'
import { prepareDataDir } from '../src/data-dir.ts'
import { openTestTrail } from './helpers/trail.ts'

/** A mount table with only an ext4 root: nothing is tmpfs. */
const EXT4_ONLY = 'rootfs / ext4 rw,relatime 0 0\n'
const SAFE = { mounts: EXT4_ONLY, inContainer: false }

function isTmpfs(path: string): boolean {
  try {
    return filesystemOf(realpathSync(path), readFileSync('/proc/mounts', 'utf8')) === 'tmpfs'
  } catch {
    return false
  }
}

/** A directory under /tmp itself (not os.tmpdir(), which $TMPDIR may move), removed after the test. */
function underSlashTmp(t: TestContext): string {
  const dir = mkdtempSync('/tmp/tt-data-dir-')
  t.after(() => removeDir(dir))
  return dir
}

function assertDataDirError(error: unknown, code: string, path: string, reason: RegExp): true {
  assert.ok(error instanceof TradetrailError, `a TradetrailError, got ${String(error)}`)
  assert.equal(error.code, code)
  assert.ok(error.message.includes(path), `the message names ${path}: ${error.message}`)
  assert.match(error.message, reason)
  return true
}

describe('prepareDataDir', () => {
  test('creates a missing directory, parents included, and returns its real path', (t) => {
    const root = tempDir(t, 'tt-data-dir')
    const wanted = join(root, 'a', 'b', 'data')
    const check = prepareDataDir(wanted, SAFE)
    assert.deepEqual(check, { path: realpathSync(wanted), warnings: [] })
    assert.ok(statSync(wanted).isDirectory())
    assert.equal(statSync(wanted).mode & 0o027, 0, 'not writable by the group, nothing for others')
  })

  test('a path under a regular file is an error naming the path, and nothing is created', (t) => {
    const file = join(tempDir(t, 'tt-data-dir'), 'a-file')
    writeFileSync(file, 'x')
    const wanted = join(file, 'data')
    assert.throws(() => prepareDataDir(wanted, SAFE), (e) => assertDataDirError(e, 'TT_ERR_STORE_DATA_DIR', wanted, /cannot be used: it is not a directory/))
    assert.throws(() => prepareDataDir(file, SAFE), (e) => assertDataDirError(e, 'TT_ERR_STORE_DATA_DIR', file, /cannot be used: it is not a directory/))
    assert.equal(readFileSync(file, 'utf8'), 'x')
  })

  test('a directory this user may not write is an error naming the path', { skip: permissionsApply ? false : 'running as root, which permission bits do not stop' }, (t) => {
    const parent = join(tempDir(t, 'tt-data-dir'), 'read-only')
    mkdirSync(parent)
    chmodSync(parent, 0o500)
    const wanted = join(parent, 'data')
    assert.throws(() => prepareDataDir(wanted, SAFE), (e) => assertDataDirError(e, 'TT_ERR_STORE_DATA_DIR', wanted, /not writable by this user.*--data-dir/))
    assert.equal(existsSync(wanted), false)
    chmodSync(parent, 0o700)
    mkdirSync(wanted)
    chmodSync(wanted, 0o500)
    assert.throws(() => prepareDataDir(wanted, SAFE), (e) => assertDataDirError(e, 'TT_ERR_STORE_DATA_DIR', wanted, /not writable by this user/))
  })

  test('tmpfs from the mount table text: a warning that names the path, longest mount point wins', (t) => {
    const dir = tempDir(t, 'tt-data-dir')
    const real = realpathSync(dir)
    const tmpfsAt = (point: string): string => `${EXT4_ONLY}tmpfs ${point.replaceAll(' ', '\\040')} tmpfs rw,nosuid 0 0\n`
    const check = prepareDataDir(dir, { mounts: tmpfsAt(real), inContainer: false })
    assert.equal(check.warnings.length, 1)
    assert.match(check.warnings[0]!, new RegExp(`^data directory ${real.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is on tmpfs; audit records there may be lost on restart`))
    // A persistent volume mounted inside a tmpfs is safe; a mount point that is only a string prefix does not count.
    assert.deepEqual(prepareDataDir(dir, { mounts: `${tmpfsAt('/')}/dev/vdb ${real} ext4 rw 0 0\n`, inContainer: false }).warnings, [])
    assert.deepEqual(prepareDataDir(dir, { mounts: tmpfsAt(real.slice(0, -1)), inContainer: false }).warnings, [])
    // Mount points with spaces arrive octal-escaped in /proc/mounts.
    const spaced = join(dir, 'with space')
    assert.equal(prepareDataDir(spaced, { mounts: tmpfsAt(realpathSync(dir) + '/with space'), inContainer: false }).warnings.length, 1)
  })

  test('a real tmpfs (/dev/shm), also reached through a symlink', { skip: isTmpfs('/dev/shm') ? false : '/dev/shm is not tmpfs here' }, (t) => {
    const shm = tempDir(t, 'tt-data-dir', '/dev/shm')
    assert.match(prepareDataDir(shm, { inContainer: false }).warnings.join('\n'), /is on tmpfs/)
    const link = join(tempDir(t, 'tt-data-dir'), 'data-link')
    symlinkSync(shm, link)
    const check = prepareDataDir(link, { inContainer: false })
    assert.equal(check.path, realpathSync(shm))
    assert.match(check.warnings.join('\n'), /is on tmpfs/)
  })

  test('/tmp inside a container warns; outside a container it does not', (t) => {
    const dir = underSlashTmp(t)
    const inside = prepareDataDir(dir, { mounts: EXT4_ONLY, inContainer: true })
    assert.deepEqual(inside.warnings, [`data directory ${realpathSync(dir)} is under /tmp inside a container; audit records there may be lost on restart. Mount a persistent volume there`])
    assert.deepEqual(prepareDataDir(dir, { mounts: EXT4_ONLY, inContainer: false }).warnings, [])
    const kubernetes = prepareDataDir(dir, { mounts: EXT4_ONLY, env: { KUBERNETES_SERVICE_HOST: '10.0.0.1' } })
    assert.equal(kubernetes.warnings.length, 1, 'KUBERNETES_SERVICE_HOST means a container')
  })

  test('strict refuses an unsafe directory with TT_ERR_STORE_UNSAFE_DATA_DIR and accepts a safe one', (t) => {
    const dir = underSlashTmp(t)
    const real = realpathSync(dir)
    assert.throws(() => prepareDataDir(dir, { strict: true, mounts: EXT4_ONLY, inContainer: true }),
      (e) => assertDataDirError(e, 'TT_ERR_STORE_UNSAFE_DATA_DIR', real, /is under \/tmp inside a container; .*Mount a persistent volume/))
    assert.throws(() => prepareDataDir(dir, { strict: true, mounts: `${EXT4_ONLY}tmpfs /tmp tmpfs rw 0 0\n`, inContainer: true }),
      (e) => assertDataDirError(e, 'TT_ERR_STORE_UNSAFE_DATA_DIR', real, /is on tmpfs and is under \/tmp inside a container/))
    assert.deepEqual(prepareDataDir(dir, { strict: true, ...SAFE }), { path: real, warnings: [] })
  })

  test('openTrail reports the warnings through onWarning, and refuses with strict before creating the trail', async (t) => {
    const dataDir = join(tempDir(t, 'tt-data-dir', '/tmp'), 'data')
    const inContainer = existsSync('/.dockerenv') || process.env.KUBERNETES_SERVICE_HOST !== undefined
    const warnings: string[] = []
    const trail = await openTestTrail(dataDir, { onWarning: (w) => warnings.push(w) })
    t.after(() => trail.close())
    if (inContainer || isTmpfs('/tmp')) assert.ok(warnings.length > 0 && warnings.every((w) => w.includes(realpathSync(dataDir))), JSON.stringify(warnings))
    else assert.deepEqual(warnings, [])
    if (!inContainer && !isTmpfs('/tmp')) return
    const strictDir = join(tempDir(t, 'tt-data-dir', '/tmp'), 'strict-data')
    await assert.rejects(openTestTrail(strictDir, { strict: true }), (e: unknown) => e instanceof TradetrailError && e.code === 'TT_ERR_STORE_UNSAFE_DATA_DIR')
    assert.equal(existsSync(join(strictDir, 'trail.db')), false, 'no trail is created in a refused directory')
  })
})
