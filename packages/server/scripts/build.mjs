// `npm run build` (root, also run by `npm install`, `npm ci` and `npm test`): the server's
// entry points as JavaScript in dist/, so that the CLI starts without compiling TypeScript at
// run time (tsx costs ~0.5 s per command: bench/cli-start.bench.ts). Our code (this package's
// src and the @tradetrail/* workspace packages it imports) is bundled; npm dependencies stay
// external and load from node_modules as usual.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Every file that runs as a process or a thread of its own, relative to the package. Each is
 * built to dist/ under the same name (`src/trail/writer-worker.ts` → `dist/trail/writer-worker.js`),
 * so that built code starts a worker with `new Worker(new URL('./writer-worker.js', import.meta.url))`.
 */
export const ENTRY_POINTS = ['src/cli/main.ts', 'src/stores/sqlite/sqlite-writer-thread.ts', 'src/trail/verify-thread.ts']

const PACKAGE_DIR = dirname(dirname(fileURLToPath(import.meta.url)))
export const DIST_DIR = join(PACKAGE_DIR, 'dist')
/** What bin/tradetrail.js reads to tell whether dist/ is older than the sources it was built from. */
export const MANIFEST = 'build-inputs.json'

// In the bundle, a module's code sits in its entry's file or in a shared chunk, not where the
// source file is. Its `import.meta.url` is rewritten to the URL the module would have in
// dist/ (src/trail/x.ts → dist/trail/x.js), relative to the output file it lands in: every
// output file's first line (the banner) says how far up dist/ is, filled in once the paths are known.
const UP_PLACEHOLDER = '__TRADETRAIL_DIST_UP__'
const BANNER = `const __ttDistUp = ${JSON.stringify(UP_PLACEHOLDER)};`

/** Builds ENTRY_POINTS into dist/, replacing it whole. Returns the output files, relative to dist/. */
export async function buildServer() {
  const startedAt = Date.now()
  rewritten.clear()
  // Written beside dist/, then swapped in: a CLI started meanwhile (tests run it while
  // someone builds) sees the old dist/ or the new one, never half of one.
  const staging = `${DIST_DIR}.tmp-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  const { build } = await import('esbuild')
  const result = await build({
    absWorkingDir: PACKAGE_DIR,
    entryPoints: ENTRY_POINTS,
    outbase: 'src',
    outdir: staging,
    entryNames: '[dir]/[name]',
    // Shared code in chunks rather than copied into every entry: a worker and the code that
    // starts it can then share a module (one class, one instanceof) when run in one thread too.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // No keepNames: nothing reads a function's or class's .name (errors set theirs), and it
    // wraps every function and class in a __name() call, closures on hot paths included
    // (measured: creating a closure took 2.3 µs instead of 0.2 µs).
    banner: { js: BANNER },
    plugins: [externalPackages, distImportMetaUrl],
    metafile: true,
    write: false,
    legalComments: 'none',
    logLevel: 'warning',
  })

  const files = []
  for (const file of result.outputFiles) {
    const path = relative(staging, file.path)
    let text = file.text
    if (path.endsWith('.js')) {
      const up = '../'.repeat(path.split(sep).length - 1) || './'
      text = text.replace(UP_PLACEHOLDER, up)
      files.push(path)
    }
    mkdirSync(dirname(file.path), { recursive: true })
    writeFileSync(file.path, text)
  }
  const built = new Set(files.map((file) => file.split(sep).join('/')))
  for (const path of rewritten) {
    if (!built.has(path)) process.stderr.write(`build: src/${path.replace(/\.js$/, '.ts')} uses import.meta.url, which in the build reads as dist/${path}, and that is not built: add it to ENTRY_POINTS if a thread or process runs it\n`)
  }
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.includes('node_modules'))
    .map((input) => relative(DIST_DIR, join(PACKAGE_DIR, input)))
  writeFileSync(join(staging, MANIFEST), `${JSON.stringify({ startedAt, inputs }, null, 2)}\n`)

  // Another build may put its dist/ in place between the two renames: then this one moves
  // that aside too and tries again.
  const old = `${DIST_DIR}.old-${process.pid}`
  for (let attempt = 1; ; attempt++) {
    rmSync(old, { recursive: true, force: true })
    try {
      renameSync(DIST_DIR, old)
    } catch (error) {
      if (error.code !== 'ENOENT') throw error
    }
    try {
      renameSync(staging, DIST_DIR)
      break
    } catch (error) {
      if ((error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') || attempt === 5) throw error
    }
  }
  rmSync(old, { recursive: true, force: true })
  return files
}

/**
 * npm dependencies stay external, our workspace packages are bundled. Not esbuild's
 * `packages: 'external'`: it judges by the import's shape, so `@tradetrail/core` (a symlink
 * into packages/core, whose exports point at .ts sources) would stay external too, and plain
 * node cannot load it.
 */
const externalPackages = {
  name: 'external-packages',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith('@tradetrail/') ? undefined : { path: args.path, external: true }))
  },
}

/** The dist/ paths (`trail/x.js`) of the modules whose `import.meta.url` was rewritten. */
const rewritten = new Set()

/** Rewrites `import.meta.url` in this package's sources to the module's own URL in dist/ (see BANNER). */
const distImportMetaUrl = {
  name: 'dist-import-meta-url',
  setup(b) {
    const src = join(PACKAGE_DIR, 'src') + sep
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(src)) return undefined
      const source = await readFile(args.path, 'utf8')
      if (!source.includes('import.meta.url')) return undefined
      const inDist = relative(src, args.path).replace(/\.ts$/, '.js').split(sep).join('/')
      rewritten.add(inDist)
      const url = `new URL(__ttDistUp + ${JSON.stringify(inDist)}, import.meta.url).href`
      return { contents: source.replaceAll('import.meta.url', url), loader: 'ts' }
    })
  },
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = performance.now()
  try {
    const files = await buildServer()
    process.stdout.write(`built ${relative(process.cwd(), DIST_DIR) || '.'}: ${files.join(', ')} in ${Math.round(performance.now() - t0)} ms\n`)
  } catch (error) {
    // `npm ci --omit=dev` still runs `prepare`, without esbuild (a devDependency): the
    // install goes on, and bin/tradetrail.js runs the sources through tsx (a dependency).
    if (error.code !== 'ERR_MODULE_NOT_FOUND' || !/'esbuild'/.test(error.message)) throw error
    process.stdout.write('esbuild is not installed (devDependencies omitted): no dist/, the CLI runs its TypeScript sources through tsx\n')
  }
}
