#!/usr/bin/env node
// Runs the built CLI (dist/, made by `npm install` and `npm test`: scripts/build.mjs): it starts
// in a fraction of the time tsx takes to compile the sources (bench/cli-start.bench.ts).
// When dist/ is missing, or older than a source it was built from (someone edited without
// building), it runs the TypeScript sources through tsx as before: slower, but never stale
// code, so a test run straight after an edit tests the edit. The check stats each source the
// build read (about 2 ms for ~60 files).
import { readFileSync, statSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))

function builtIsCurrent() {
  let manifest
  try {
    manifest = JSON.parse(readFileSync(`${dist}build-inputs.json`, 'utf8'))
  } catch {
    return false
  }
  for (const input of manifest.inputs) {
    // A source moved or removed since the build counts as changed.
    const mtime = statSync(`${dist}${input}`, { throwIfNoEntry: false })?.mtimeMs ?? Infinity
    if (mtime >= manifest.startedAt) return false
  }
  return true
}

let main
if (builtIsCurrent()) {
  // Stack traces name the TypeScript files (dist/ has linked source maps).
  process.setSourceMapsEnabled(true)
  ;({ main } = await import(new URL('../dist/cli/main.js', import.meta.url).href))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src/cli/main.ts'))
}
process.exitCode = await main(process.argv)
