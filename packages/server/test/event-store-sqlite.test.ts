import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteEventStore } from '../src/sqlite/sqlite-event-store.ts'
import { runEventStoreContract } from './contract/event-store.contract.ts'

runEventStoreContract({
  name: 'sqlite',
  async create() {
    const dir = mkdtempSync(join(tmpdir(), 'tt-sqlite-'))
    return {
      open: async (clock) => new SqliteEventStore({ path: join(dir, 'trail.db'), clock }),
      destroy: async () => rmSync(dir, { recursive: true, force: true }),
    }
  },
})
