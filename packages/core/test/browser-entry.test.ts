import assert from 'node:assert/strict'
import { test } from 'node:test'
import { build } from 'esbuild'

test('@tradetrail/core/browser bundles for a browser: no node: module anywhere in it', async () => {
  const result = await build({
    entryPoints: [new URL('../src/browser.ts', import.meta.url).pathname],
    bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', metafile: true,
  })
  const inputs = Object.keys(result.metafile.inputs)
  assert.ok(inputs.some((i) => i.endsWith('timestamp.ts')), `the bundle holds core's modules: ${inputs.join(', ')}`)
  assert.deepEqual(inputs.filter((i) => i.startsWith('node:') || i.includes('storage-risk') || i.includes('uuidv7') || i.includes('hash-chain')), [])
  assert.doesNotMatch(result.outputFiles[0]!.text, /from\s*["']node:|require\(["']node:/)
})
