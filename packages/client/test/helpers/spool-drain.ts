/** Reading a spool back in tests. */
import type { SpoolQueue, SpoolRecord } from '../../src/spool-queue.ts'

/** Peeks and acks until the spool is empty; the bodies copied out. */
export async function drain(spool: SpoolQueue): Promise<SpoolRecord[]> {
  const out: SpoolRecord[] = []
  for (let record = await spool.peek(); record !== undefined; record = await spool.peek()) {
    out.push({ body: Buffer.from(record.body), events: record.events })
    await spool.ack()
  }
  return out
}
