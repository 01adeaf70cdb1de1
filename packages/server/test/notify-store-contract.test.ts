/**
 * The AlertStore and OutboxStore contract suites on every adapter under test (contract/stores.ts).
 * The feed cursors (CursorStore) are part of the EventStore contract: event-store-contract.test.ts.
 */
import { runAlertStoreContract } from './contract/alert-store.contract.ts'
import { runOutboxStoreContract } from './contract/outbox-store.contract.ts'
import { adaptersUnderTest } from './contract/stores.ts'

for (const adapter of adaptersUnderTest()) {
  runAlertStoreContract(adapter.name, async () => {
    const db = adapter.create()
    return { open: () => adapter.openAlerts(db.address), destroy: async () => db.destroy() }
  })
  runOutboxStoreContract(adapter.name, async () => {
    const db = adapter.create()
    return { open: () => adapter.openOutbox(db.address), destroy: async () => db.destroy() }
  })
}
