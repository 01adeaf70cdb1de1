/** A trail read back the way an operator reads it: through `tradetrail export`. */
import type { StoredEvent } from '@tradetrail/core'
import { describeRun, runCli } from './run-cli.ts'

/**
 * Every stored event of the trail in `dataDir`, in seq order, as `tradetrail export --format
 * jsonl` prints it. It works while a collector runs on that directory.
 */
export async function storedEvents(dataDir: string): Promise<StoredEvent[]> {
  const result = await runCli(['export', '--format', 'jsonl'], { dataDir })
  if (result.code !== 0) throw new Error(`tradetrail export of ${dataDir} failed: ${describeRun(result)}`)
  return result.stdout.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as StoredEvent)
}
