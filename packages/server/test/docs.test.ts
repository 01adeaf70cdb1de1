import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
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
