/**
 * The dashboard with 100k events (test/browser.ts): imported by the CLI while the page streams
 * them in, then scrolled, with only the rows in sight in the DOM; up/down/Enter move through the
 * rows and open one. The longest main-thread task (a `longtask` PerformanceObserver watching from
 * when the page streams) is reported, not asserted: the 100 ms target is a speed figure, and this
 * machine's load decides it as much as the page does; it belongs in a benchmark.
 */
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { type CollectorProcess, closeHttp, deferredHooks, runCli, spawnCollector, tempDir, waitFor } from '@tradetrail/test-support'
import { browserMissing, launchChromium } from './browser.ts'

const skip = browserMissing()
const hooks = deferredHooks()
const EVENTS = 100_000
let browser: Browser
let c: CollectorProcess

before(async () => {
  if (skip !== undefined) return
  c = await spawnCollector(hooks)
  browser = await launchChromium()
  hooks.after(() => browser.close())
})
after(async () => {
  await hooks.run()
  closeHttp()
})

/** Waits until the page drew twice: what a scroll changes is drawn by then. */
function twoFrames(page: Page): Promise<unknown> {
  return page.evaluate(() => new Promise((resolve) => (globalThis as any).requestAnimationFrame(() => (globalThis as any).requestAnimationFrame(resolve))))
}

test('100k events stream in and scroll with only the rows in sight in the DOM; keys move through the rows', { skip, timeout: 180_000 }, async (t) => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  t.after(() => context.close())
  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  await page.goto(`${c.url}/?project=Big#token=${c.adminToken}`)
  await page.waitForSelector('#status[data-state="connected"]', { timeout: 10_000 })
  // Watching from here: loading the page's own script is not what is measured.
  await page.evaluate(() => {
    const w = globalThis as any
    w.longTasks = []
    new w.PerformanceObserver((list: any) => {
      for (const entry of list.getEntries()) w.longTasks.push(Math.round(entry.duration))
    }).observe({ type: 'longtask' })
  })

  const dir = tempDir(hooks)
  const file = join(dir, 'big.jsonl')
  const start = Date.parse('2026-01-02T09:00:00Z')
  const severities = ['debug', 'info', 'info', 'info', 'notice', 'warning', 'error', 'critical']
  const lines: string[] = []
  for (let i = 0; i < EVENTS; i++) {
    lines.push(JSON.stringify({
      id: `0190a000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`, project: 'Big', type: 'fill',
      severity: severities[i % severities.length], ts: new Date(start + i * 100).toISOString(), message: `fill ${i} <b>EURUSD</b> 1.0842`,
    }))
  }
  await writeFile(file, lines.join('\n') + '\n')
  const imported = await runCli(['import', file], { dataDir: c.dataDir, timeoutMs: 120_000 })
  assert.equal(imported.code, 0, imported.stderr)
  await waitFor(() => page.textContent('#count'), (text) => text === `${EVENTS} events`, { describe: `"${EVENTS} events"`, timeoutMs: 60_000 })

  // Scroll through: to the top, down in wheel steps, to the middle, back to the end.
  const scroller = page.locator('#scroller')
  await scroller.evaluate((el) => { el.scrollTop = 0 })
  await page.mouse.move(640, 600)
  for (let i = 0; i < 20; i++) await page.mouse.wheel(0, 3000)
  for (const at of [0.5, 0.25, 0.9, 1]) {
    await scroller.evaluate((el, f) => { el.scrollTop = el.scrollHeight * f }, at)
    await twoFrames(page)
  }
  await scroller.evaluate((el) => { el.scrollTop = el.scrollHeight / 2 })
  await twoFrames(page)
  const drawn = await page.$$eval('#rows tr[data-seq]', (trs) => trs.map((tr) => Number(tr.getAttribute('data-seq'))))
  assert.ok(drawn.length > 20 && drawn.length < 200, `only the rows in sight are in the DOM: ${drawn.length}`)
  assert.deepEqual(drawn, drawn.map((_, i) => drawn[0]! + i), 'consecutive rows')
  const longTasks = await page.evaluate(() => (globalThis as any).longTasks as number[])
  t.diagnostic(`main-thread tasks over 50 ms while 100k events streamed in and scrolled: ${longTasks.length > 0 ? longTasks.join(', ') + ' ms' : 'none'}`)

  // Keys: a click selects (and opens) a row, down/up move the selection, Enter opens it.
  const picked = drawn[Math.floor(drawn.length / 2)]!
  await page.click(`#rows tr[data-seq="${picked}"]`)
  assert.equal(await page.textContent('#detail [data-field="seq"]'), String(picked))
  await scroller.focus()
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('ArrowUp')
  await page.keyboard.press('Enter')
  assert.equal(await page.textContent('#detail [data-field="seq"]'), String(picked + 1))
  assert.equal(await page.getAttribute('#rows tr.selected', 'data-seq'), String(picked + 1))
  assert.match((await page.textContent(`#rows tr[data-seq="${picked}"] td.message`))!, /^fill \d+ <b>EURUSD<\/b> 1\.0842$/)
  assert.equal(await page.locator('#rows b').count(), 0, 'content stays text')
  // Down past the rows in sight scrolls them along.
  for (let i = 0; i < 60; i++) await page.keyboard.press('ArrowDown')
  await page.waitForSelector(`#rows tr.selected[data-seq="${picked + 61}"]`)
  assert.deepEqual(errors, [])
})
