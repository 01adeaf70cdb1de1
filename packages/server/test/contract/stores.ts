/**
 * The adapters every contract suite runs against. TRADETRAIL_TEST_STORES (comma-separated
 * names, e.g. `sqlite`) narrows the list; an adapter left out is reported, never silently
 * skipped.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Clock } from '@tradetrail/core'
import { SqliteAlertStore } from '../../src/stores/sqlite/sqlite-alert-store.ts'
import { SqliteEventStore } from '../../src/stores/sqlite/sqlite-event-store.ts'
import { SqliteHoldStore } from '../../src/stores/sqlite/sqlite-hold-store.ts'
import { SqliteOutboxStore } from '../../src/stores/sqlite/sqlite-outbox-store.ts'
import { SqliteTokenStore } from '../../src/stores/sqlite/sqlite-token-store.ts'

/** One adapter's way to make a fresh database in a place the test owns. */
export interface AdapterFactory {
  name: string
  /** A new, empty database; `path`-like address and a cleanup. */
  create(): { address: string; destroy(): void }
  openEvents(address: string, clock: Clock): Promise<SqliteEventStore>
  openTokens(address: string): Promise<SqliteTokenStore>
  /** The legal holds of the trail at `address` (the event store opened it first). */
  openHolds(address: string): Promise<SqliteHoldStore>
  /** The alerts and the outbox of the trail at `address` (each creates the schema when it is the first). */
  openAlerts(address: string): Promise<SqliteAlertStore>
  openOutbox(address: string): Promise<SqliteOutboxStore>
}

const ALL: AdapterFactory[] = [
  {
    name: 'sqlite',
    create() {
      const dir = mkdtempSync(join(tmpdir(), 'tt-sqlite-'))
      return { address: join(dir, 'trail.db'), destroy: () => rmSync(dir, { recursive: true, force: true }) }
    },
    openEvents: async (address, clock) => new SqliteEventStore({ path: address, clock }),
    async openTokens(address) {
      // The token table lives in the trail's database: its writer creates the schema.
      await new SqliteEventStore({ path: address }).close()
      return new SqliteTokenStore(address)
    },
    openHolds: async (address) => new SqliteHoldStore(address),
    openAlerts: async (address) => new SqliteAlertStore(address),
    openOutbox: async (address) => new SqliteOutboxStore(address),
  },
]

/** The adapters to test, as TRADETRAIL_TEST_STORES narrows them. */
export function adaptersUnderTest(): AdapterFactory[] {
  const wanted = process.env.TRADETRAIL_TEST_STORES?.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (wanted === undefined || wanted.length === 0) return ALL
  const unknown = wanted.filter((name) => !ALL.some((a) => a.name === name))
  if (unknown.length > 0) throw new Error(`TRADETRAIL_TEST_STORES names unknown stores: ${unknown.join(', ')} (known: ${ALL.map((a) => a.name).join(', ')})`)
  for (const a of ALL) if (!wanted.includes(a.name)) process.stderr.write(`# TRADETRAIL_TEST_STORES leaves out the ${a.name} store\n`)
  return ALL.filter((a) => wanted.includes(a.name))
}
