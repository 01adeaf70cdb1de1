/**
 * The browser of the dashboard's tests: Debian's Chromium (`/usr/bin/chromium`, which .ci/run
 * installs) driven by playwright-core, which never downloads a browser. Under CI=true a missing
 * Chromium fails the tests; elsewhere they are skipped, saying why.
 */
import { existsSync } from 'node:fs'
import type { Browser } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'

/** Why the browser tests cannot run here (undefined when they can); throws under CI. */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM)) return undefined
  const why = `${CHROMIUM} is missing (apt-get install chromium)`
  if (process.env.CI === 'true') throw new Error(`the dashboard's browser tests must run under CI, but ${why}`)
  process.stderr.write(`\nSKIPPING the dashboard's browser tests: ${why}\n\n`)
  return why
}

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core')
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  })
}
