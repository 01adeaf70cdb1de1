/**
 * The chain's status: the last verification recorded in the trail (a `verification_run` event),
 * the signed checkpoints (GET /v1/checkpoints) and a verification on demand (GET /v1/verify).
 * Both endpoints cover every project: a token limited to projects is refused, as the server says.
 */
import type { Checkpoint, StoredEvent } from '@tradetrail/core/browser'
import { apiGet } from './api.ts'

interface VerifyReport {
  ok: boolean; checked: number; last_seq: number
  checkpoints: { total: number; verified: number }
  problem: { seq: number; message: string } | null
}

export class ChainPanel {
  private token: string | undefined

  constructor(private readonly lastRun: HTMLElement, private readonly checkpoints: HTMLElement, private readonly result: HTMLElement, private readonly button: HTMLButtonElement) {
    button.addEventListener('click', () => void this.verify())
  }

  open(token: string | undefined): void {
    this.token = token
    for (const element of [this.lastRun, this.checkpoints, this.result]) element.textContent = ''
    delete this.result.dataset.ok
    if (token !== undefined) void this.refresh()
  }

  async refresh(): Promise<void> {
    const token = this.token
    if (token === undefined) return
    try {
      // The checkpoints first: for a token limited to projects, their refusal says why best.
      const signed = await apiGet<{ checkpoints: Checkpoint[]; key_id: string }>(token, '/v1/checkpoints')
      const runs = await apiGet<{ events: StoredEvent[] }>(token, '/v1/events', { project: 'tradetrail', type: 'verification_run', limit: '1' })
      if (token !== this.token) return
      const run = runs.events[0]
      this.lastRun.textContent = run === undefined ? 'never verified through the collector' : `${run.message} (${run.ts})`
      const latest = signed.checkpoints.at(-1)
      this.checkpoints.textContent = latest === undefined
        ? 'no signed checkpoint yet'
        : `${signed.checkpoints.length} signed (key ${signed.key_id}), the latest at seq ${latest.seq} (${latest.time})`
    } catch (error) {
      if (token === this.token) this.lastRun.textContent = (error as Error).message
    }
  }

  private async verify(): Promise<void> {
    const token = this.token
    if (token === undefined) return
    this.button.disabled = true
    this.result.textContent = 'verifying…'
    delete this.result.dataset.ok
    try {
      const report = await apiGet<VerifyReport>(token, '/v1/verify')
      this.result.dataset.ok = String(report.ok)
      this.result.textContent = report.ok
        ? `passed: ${report.checked} events through seq ${report.last_seq}, ${report.checkpoints.verified} of ${report.checkpoints.total} checkpoints`
        : `FAILED at seq ${report.problem?.seq}: ${report.problem?.message}`
      await this.refresh()
    } catch (error) {
      this.result.textContent = (error as Error).message
    } finally {
      this.button.disabled = false
    }
  }
}
