/** Temporary directories that a test owns and that are removed when it ends. */
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Anything with an `after` hook: a TestContext, or `{ after }` from node:test for a whole file. */
export interface Hooks {
  after(fn: () => unknown): unknown
}

/** Creates a fresh directory under os.tmpdir() (or `parent`) and removes it in the owner's `after` hook. */
export function tempDir(owner: Hooks, label = 'tt-test', parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, `${label}-`))
  owner.after(() => removeDir(dir))
  return dir
}

/** rm -rf that also gets through directories a test made read-only (non-root users need that). */
export function removeDir(dir: string): void {
  try {
    rmSync(dir, { recursive: true, force: true })
  } catch {
    makeWritable(dir)
    rmSync(dir, { recursive: true, force: true })
  }
}

function makeWritable(path: string): void {
  try {
    if (!statSync(path).isDirectory()) return
    chmodSync(path, 0o700)
    for (const name of readdirSync(path)) makeWritable(join(path, name))
  } catch {
    // Gone already, or not ours to fix: rmSync will report what is left.
  }
}

/** Whether permission bits bind this process (they do not for root). */
export const permissionsApply = typeof process.getuid === 'function' && process.getuid() !== 0
