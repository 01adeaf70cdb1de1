/**
 * A verify thread: opens its own read-only connection to the store and recomputes one range
 * of the chain (verify-trail.ts verifyRange). Like the writer thread, it runs this very module
 * (VERIFY_THREAD_URL: this file under tsx, the bundle in the build) and the guard starts it.
 */
import { setPriority } from 'node:os'
import { isMainThread, parentPort, workerData } from 'node:worker_threads'
import type { StoreLocator } from '@tradetrail/core'
import { verifyRange } from '../verify-trail.ts'
import { openStoreForReading } from './open-store.ts'

export const VERIFY_THREAD_URL = new URL(import.meta.url)
export const VERIFY_THREAD = 'verify'

interface VerifyThreadData {
  locator: StoreLocator
  from: number
  to: number
  prev: string | undefined
  wanted: number[]
  lowPriority: boolean
}

async function runVerifyThread(): Promise<void> {
  const data = workerData as VerifyThreadData
  // On Linux a thread has its own nice value: this lowers this thread only.
  if (data.lowPriority) {
    try {
      setPriority(19)
    } catch {
      // Not allowed here: run at the normal priority.
    }
  }
  const store = openStoreForReading(data.locator)
  try {
    const result = await verifyRange(store, data.from, data.to, data.prev === undefined ? undefined : Buffer.from(data.prev, 'hex'), data.wanted)
    parentPort!.postMessage({ ok: true, result })
  } catch (error) {
    parentPort!.postMessage({ ok: false, error: (error as Error).message })
  } finally {
    await store.close()
  }
}

if (!isMainThread && (workerData as { tradetrailThread?: string } | null)?.tradetrailThread === VERIFY_THREAD) setImmediate(() => void runVerifyThread())
