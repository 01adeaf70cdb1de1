/** Starting a thread that runs one of our modules, from the sources (tsx) or the build alike. */
import { type ResourceLimits, Worker } from 'node:worker_threads'

/**
 * A Worker running `module` (a thread module's own URL). A `.ts` module means we run from the
 * sources (tests, or the CLI before its first build): the thread registers tsx itself first,
 * because loader hooks registered in this thread do not reach a new one.
 */
export function startThread(module: URL, workerData: Record<string, unknown>, resourceLimits?: ResourceLimits): Worker {
  const options = { workerData, ...(resourceLimits ? { resourceLimits } : {}) }
  if (!module.pathname.endsWith('.ts')) return new Worker(module, options)
  const tsx = import.meta.resolve('tsx/esm/api')
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(module.href)}) })`
  return new Worker(code, { eval: true, ...options })
}
