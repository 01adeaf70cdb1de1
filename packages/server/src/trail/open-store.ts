/** Opening a store again from its locator (another thread, a verify worker): the adapters' one switch. */
import { ERR_STORE_IO, type EventStore, type StoreLocator } from '@tradetrail/core'
import { SqliteEventStore } from '../stores/sqlite/sqlite-event-store.ts'

/** A read-only handle on the store `locator` names. */
export function openStoreForReading(locator: StoreLocator): EventStore {
  switch (locator.kind) {
    case 'sqlite':
      return new SqliteEventStore({ path: locator.address, readonly: true })
    default:
      throw ERR_STORE_IO.create(`no store adapter named ${locator.kind}`)
  }
}
