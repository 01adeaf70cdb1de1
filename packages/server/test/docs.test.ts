import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'node:test'
import { listErrorCodes } from '@tradetrail/core'

const api = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8')

test('docs/api.md lists every error code with its HTTP status', () => {
  for (const { code, statusCode } of listErrorCodes()) {
    assert.match(api, new RegExp(`\\| \`${code}\` \\| ${statusCode} \\|`), `${code} (${statusCode}) is missing from the error table`)
  }
})

test('docs/api.md lists no error code that does not exist', () => {
  const known = new Set(listErrorCodes().map((e) => e.code))
  for (const [, code] of api.matchAll(/\| `(TT_ERR_[A-Z_]+)` \|/g)) assert.ok(known.has(code!), `${code} is documented but not registered`)
})

test('docs/operations.md names every collector setting and each of its variables', async () => {
  const { describeSettings } = await import('../src/config.ts')
  const operations = readFileSync(new URL('../../../docs/operations.md', import.meta.url), 'utf8')
  for (const setting of describeSettings()) {
    assert.ok(operations.includes(`\`${setting.key}\``), `setting ${setting.key} is missing from the configuration table`)
    for (const name of setting.env) assert.ok(operations.includes(`\`${name}\``), `${name} (${setting.key}) is missing from docs/operations.md`)
  }
})

const verification = readFileSync(new URL('../../../docs/verification.md', import.meta.url), 'utf8')

test('docs/verification.md describes every kind of problem verify reports, and no other', async () => {
  const { VERIFY_PROBLEM_CODES } = await import('../src/verify-trail.ts')
  const table = verification.slice(verification.indexOf('### Problem kinds'), verification.indexOf('### The report'))
  const documented = [...table.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1])
  assert.deepEqual([...documented].sort(), [...VERIFY_PROBLEM_CODES].sort())
})

test('docs/test-vectors holds byte-identical copies of every known-answer vector file of packages/core/test-vectors', () => {
  const originals = new URL('../../core/test-vectors/', import.meta.url)
  const copies = new URL('../../../docs/test-vectors/', import.meta.url)
  const vectorFiles = (dir: URL): string[] => readdirSync(dir).filter((name) => name.endsWith('.json')).sort()
  assert.deepEqual(readdirSync(copies).sort(), vectorFiles(originals), 'docs/test-vectors has the same files (cp packages/core/test-vectors/*.json docs/test-vectors/)')
  for (const name of vectorFiles(originals)) {
    assert.ok(readFileSync(new URL(name, copies)).equals(readFileSync(new URL(name, originals))), `docs/test-vectors/${name} differs from packages/core/test-vectors/${name}: copy it again`)
    assert.ok(verification.includes(`test-vectors/${name}`), `docs/verification.md describes ${name}`)
  }
})
