import assert from 'node:assert/strict'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ERR_AUTH_MISSING, TradetrailError } from '../src/errors.ts'
import { OS_CONDITIONS, fileError, storeFileError } from '../src/os-errors.ts'

/** A failed system call as Node makes one (fs, streams): code, errno, syscall, maybe a path. */
const systemError = (code: string, syscall = 'open', path?: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${code}: failed, ${syscall}`), { code, errno: -1, syscall, ...(path ? { path } : {}) })

test('each OS condition on a file the user named has its own code and a sentence naming the path', () => {
  const cases: Array<[string, 'read' | 'write', string, RegExp]> = [
    ['ENOENT', 'read', 'TT_ERR_FILE_NOT_FOUND', /^\/x\/f does not exist \(ENOENT\); check the path$/],
    ['ENOENT', 'write', 'TT_ERR_FILE_NOT_FOUND', /^\/x\/f cannot be created: its directory does not exist \(ENOENT\)/],
    ['ENOTDIR', 'write', 'TT_ERR_FILE_NOT_FOUND', /^\/x\/f cannot exist: a part of its path is a file, not a directory \(ENOTDIR\)/],
    ['EISDIR', 'read', 'TT_ERR_FILE_IS_DIRECTORY', /^\/x\/f is a directory \(EISDIR\); name a file$/],
    ['EACCES', 'write', 'TT_ERR_FILE_PERMISSION', /^this user may not write \/x\/f \(EACCES\); change its permissions/],
    ['EPERM', 'read', 'TT_ERR_FILE_PERMISSION', /^this user may not read \/x\/f \(EPERM\)/],
    ['EROFS', 'write', 'TT_ERR_FILE_READ_ONLY', /^\/x\/f is on a read-only file system \(EROFS\); choose a path on a writable volume$/],
    ['ENOSPC', 'write', 'TT_ERR_FILE_DISK_FULL', /^the disk holding \/x\/f is full \(ENOSPC\); what was written there is incomplete\. Make room/],
    ['EDQUOT', 'write', 'TT_ERR_FILE_DISK_FULL', /\(EDQUOT\)/],
    ['EIO', 'read', 'TT_ERR_FILE_ACCESS', /^cannot use \/x\/f: EIO: failed, read$/],
    ['EMFILE', 'read', 'TT_ERR_FILE_ACCESS', /^cannot use \/x\/f: EMFILE/],
  ]
  for (const [code, access, expected, says] of cases) {
    const error = fileError(systemError(code, access), access, '/x/f')
    assert.ok(error instanceof TradetrailError, code)
    assert.equal(error.code, expected, code)
    assert.match(error.message, says, code)
  }
  assert.deepEqual([...new Set(cases.map(([code]) => code))].filter((c) => (OS_CONDITIONS as readonly string[]).includes(c)).sort(), [...OS_CONDITIONS].sort(), 'every named condition is covered here')
})

test('the path defaults to the one the error names; anything that is not a failed system call is left alone', () => {
  assert.match(fileError(systemError('ENOENT', 'open', '/from/the/error'), 'use')!.message, /^\/from\/the\/error does not exist/)
  assert.equal(fileError(new Error('plain'), 'read', '/x'), undefined)
  assert.equal(fileError(Object.assign(new Error('no syscall'), { code: 'ERR_STREAM_DESTROYED' }), 'read', '/x'), undefined)
  assert.equal(fileError(ERR_AUTH_MISSING.create(), 'read', '/x'), undefined)
  assert.equal(fileError(undefined, 'read', '/x'), undefined)
})

test('real failed system calls here map as named: ENOENT, ENOTDIR, EISDIR, and ENOSPC from /dev/full', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'tt-os-errors-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'a-file')
  writeFileSync(file, 'x')
  const codeOf = (fn: () => unknown, access: 'read' | 'write'): string | undefined => {
    try {
      fn()
    } catch (error) {
      return fileError(error, access)?.code
    }
    return 'no error'
  }
  assert.equal(codeOf(() => readFileSync(join(dir, 'missing')), 'read'), 'TT_ERR_FILE_NOT_FOUND')
  assert.equal(codeOf(() => writeFileSync(join(file, 'below'), 'x'), 'write'), 'TT_ERR_FILE_NOT_FOUND')
  assert.equal(codeOf(() => readFileSync(dir), 'read'), 'TT_ERR_FILE_IS_DIRECTORY')
  if (process.platform !== 'linux') return t.skip('/dev/full is Linux\'s')
  const full = openSync('/dev/full', 'w')
  t.after(() => closeSync(full))
  assert.equal(codeOf(() => writeFileSync(full, 'x'), 'write'), 'TT_ERR_FILE_DISK_FULL')
})

test('on the trail\'s own files a full disk is TT_ERR_STORE_FULL and the other conditions TT_ERR_STORE_IO: 503, nothing stored, retry', () => {
  for (const code of OS_CONDITIONS) {
    const error = storeFileError(systemError(code, 'write'))!
    assert.equal(error.code, code === 'ENOSPC' || code === 'EDQUOT' ? 'TT_ERR_STORE_FULL' : 'TT_ERR_STORE_IO', code)
    assert.equal(error.statusCode, 503, code)
    assert.match(error.message, /nothing was stored/, code)
    if (error.code === 'TT_ERR_STORE_IO') assert.match(error.message, new RegExp(`\\(${code}\\)`), code)
  }
  assert.equal(storeFileError(systemError('ECONNRESET', 'read')), undefined, 'a socket is not the trail\'s file')
  assert.equal(storeFileError(new Error('plain')), undefined)
})
