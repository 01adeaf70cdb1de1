// `npm run build` (root): the dashboard as static files in dist/ — index.html, app.css and
// app.js (src/main.ts and what it imports of @tradetrail/core/browser and uPlot, bundled for
// browsers; app.css with uPlot's stylesheet) —
// which the collector serves at / (packages/server/src/collector/dashboard-routes.ts).
import { copyFileSync, mkdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const PACKAGE_DIR = dirname(dirname(fileURLToPath(import.meta.url)))
export const DIST_DIR = join(PACKAGE_DIR, 'dist')

/** Builds dist/ beside it, then swaps it in whole: a collector serving meanwhile sees the old files or the new ones. */
export async function buildDashboard() {
  const staging = `${DIST_DIR}.tmp-${process.pid}`
  rmSync(staging, { recursive: true, force: true })
  mkdirSync(staging, { recursive: true })
  const { build } = await import('esbuild')
  const common = { absWorkingDir: PACKAGE_DIR, bundle: true, minify: true, legalComments: 'none', logLevel: 'warning' }
  await build({
    ...common,
    entryPoints: ['src/main.ts'],
    outfile: join(staging, 'app.js'),
    platform: 'browser',
    format: 'esm',
    target: ['chrome110', 'firefox115', 'safari16'],
    sourcemap: 'linked',
  })
  // The page's stylesheet with uPlot's (@import) inlined: the CSP takes no inline styles.
  await build({ ...common, entryPoints: ['src/app.css'], outfile: join(staging, 'app.css') })
  copyFileSync(join(PACKAGE_DIR, 'src', 'index.html'), join(staging, 'index.html'))
  const old = `${DIST_DIR}.old-${process.pid}`
  rmSync(old, { recursive: true, force: true })
  try {
    renameSync(DIST_DIR, old)
  } catch (error) {
    if (error.code !== 'ENOENT') throw error
  }
  renameSync(staging, DIST_DIR)
  rmSync(old, { recursive: true, force: true })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const t0 = performance.now()
  try {
    await buildDashboard()
    process.stdout.write(`built dashboard dist: index.html, app.css, app.js in ${Math.round(performance.now() - t0)} ms\n`)
  } catch (error) {
    // As the server's build: without devDependencies there is no esbuild, and no dashboard.
    if (error.code !== 'ERR_MODULE_NOT_FOUND' || !/'esbuild'/.test(error.message)) throw error
    process.stdout.write('esbuild is not installed (devDependencies omitted): no dashboard; the collector answers / with a note saying so\n')
  }
}
