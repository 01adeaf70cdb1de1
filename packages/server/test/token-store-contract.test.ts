/** The TokenStore contract suite (contract/token-store.contract.ts) on every adapter under test (contract/stores.ts). */
import { runTokenStoreContract } from './contract/token-store.contract.ts'
import { adaptersUnderTest } from './contract/stores.ts'

for (const adapter of adaptersUnderTest()) {
  runTokenStoreContract(adapter.name, async () => {
    const db = adapter.create()
    return { open: () => adapter.openTokens(db.address), destroy: async () => db.destroy() }
  })
}
