/**
 * What the tests of every package share, through public surfaces only: temporary directories,
 * polling with a deadline, the real `tradetrail` CLI and collector in child processes, and a
 * trail read back through the CLI.
 */
export * from './collector-process.ts'
export * from './run-cli.ts'
export * from './stored-events.ts'
export * from './temp-dir.ts'
export * from './wait-for.ts'
