/**
 * The part of core a browser can load (the dashboard): no `node:` import anywhere below it.
 * test/browser-entry.test.ts bundles it for the browser to hold that true.
 */
export * from './canonical-json.ts'
export * from './clock.ts'
export * from './errors.ts'
export * from './event.ts'
export * from './export-format.ts'
export type * from './event-store.ts'
export * from './feed.ts'
export type * from './job-state-store.ts'
export * from './search-query.ts'
export * from './timestamp.ts'
export type * from './token-store.ts'
