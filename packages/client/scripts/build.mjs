// `npm run build -w @tradetrail/client [-- OUTDIR]`: the SDK as a package a bot installs
// from anywhere: one ESM file with @tradetrail/core bundled in (no runtime dependencies, no
// native build), its type declarations, and a package.json pointing at both. `npm pack OUTDIR`
// makes the tarball. Inside this repository the workspace uses src/ directly through tsx.
import { execFileSync } from 'node:child_process'
import { cpSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const here = dirname(dirname(fileURLToPath(import.meta.url)))
const out = resolve(process.argv[2] ?? join(here, 'dist'))
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'))

rmSync(out, { recursive: true, force: true })
await build({
  entryPoints: [join(here, 'src', 'index.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outfile: join(out, 'index.js'),
  legalComments: 'none',
  logLevel: 'warning',
})

// Declarations of the client and of the core types it mentions; then the bare specifier
// of the workspace package becomes a relative path, since core is bundled, not a dependency.
const types = join(out, 'types')
const tsc = join(here, '..', '..', 'node_modules', '.bin', 'tsc')
execFileSync(tsc, ['-p', join(here, 'tsconfig.build.json'), '--outDir', types], { stdio: 'inherit' })
const coreIndex = join(types, 'core', 'src', 'index.js')
for (const file of walk(types)) {
  if (!file.endsWith('.d.ts')) continue
  const text = readFileSync(file, 'utf8')
  let specifier = relative(dirname(file), coreIndex)
  if (!specifier.startsWith('.')) specifier = `./${specifier}`
  const rewritten = text
    .replaceAll(/(["'])@tradetrail\/core\1/g, `'${specifier}'`)
    .replaceAll(/(from\s+["']\.{1,2}\/[^"']*)\.ts(["'])/g, '$1.js$2')
  if (rewritten !== text) writeFileSync(file, rewritten)
}

writeFileSync(join(out, 'package.json'), `${JSON.stringify({
  name: pkg.name,
  version: pkg.version,
  description: pkg.description,
  type: 'module',
  license: pkg.license,
  engines: pkg.engines,
  exports: { '.': { types: './types/client/src/index.d.ts', default: './index.js' } },
  types: './types/client/src/index.d.ts',
}, null, 2)}\n`)
cpSync(join(here, 'README.md'), join(out, 'README.md'))
process.stdout.write(`built ${relative(process.cwd(), out) || '.'}: index.js ${statSync(join(out, 'index.js')).size} bytes, types in types/\n`)

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)])
}
