/** The EventStore contract suite (contract/event-store.contract.ts) on every adapter under test (contract/stores.ts). */
import { runEventStoreContract } from './contract/event-store.contract.ts'
import { adaptersUnderTest } from './contract/stores.ts'

for (const adapter of adaptersUnderTest()) {
  runEventStoreContract({
    name: adapter.name,
    async create() {
      const db = adapter.create()
      return { open: (clock) => adapter.openEvents(db.address, clock), openHolds: () => adapter.openHolds(db.address), destroy: async () => db.destroy() }
    },
  })
}
