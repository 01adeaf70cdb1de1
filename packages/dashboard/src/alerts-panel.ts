/**
 * The open alerts (GET /v1/alerts, open and acknowledged, newest first) with an Acknowledge
 * button on each open one (POST /v1/alerts/:id/ack, which takes an admin token: a refusal is
 * shown as the server words it). Refreshed every REFRESH_MS, after an acknowledgement, and on
 * demand. Alert content reaches the page through textContent only.
 */
import { apiGet, apiPost } from './api.ts'

const REFRESH_MS = 15_000

interface Alert {
  id: string; rule: string; severity: string; title: string; message: string; project: string | null
  count: number; state: string; opened_at: string; last_seen_at: string; acknowledged_by: string | null
}

export class AlertsPanel {
  private token: string | undefined
  private timer: ReturnType<typeof setInterval> | undefined

  constructor(private readonly list: HTMLElement, private readonly message: HTMLElement, private readonly note: HTMLInputElement) {}

  /** Shows the alerts `token` may read (none: signed out) and keeps them fresh. */
  open(token: string | undefined): void {
    clearInterval(this.timer)
    this.token = token
    this.list.replaceChildren()
    this.message.textContent = ''
    if (token === undefined) return
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS)
    void this.refresh()
  }

  async refresh(): Promise<void> {
    const token = this.token
    if (token === undefined) return
    try {
      const { alerts } = await apiGet<{ alerts: Alert[] }>(token, '/v1/alerts', { state: 'open,acknowledged', limit: '100' })
      if (token !== this.token) return
      this.list.replaceChildren(...alerts.map((alert) => this.item(alert)))
      this.list.dataset.count = String(alerts.length)
      if (alerts.length === 0) this.list.append(textElement('li', 'muted', 'no open alerts'))
    } catch (error) {
      if (token === this.token) this.message.textContent = (error as Error).message
    }
  }

  private item(alert: Alert): HTMLLIElement {
    const li = document.createElement('li')
    li.dataset.id = alert.id
    li.dataset.state = alert.state
    li.dataset.severity = alert.severity
    const where = alert.project === null ? '' : ` · ${alert.project}`
    const count = alert.count > 1 ? ` · ×${alert.count}` : ''
    li.append(
      textElement('strong', 'title', alert.title),
      textElement('span', 'muted', ` ${alert.rule}${where}${count} · since ${alert.opened_at}`),
      textElement('div', 'message', alert.message),
    )
    if (alert.state === 'open') {
      const ack = document.createElement('button')
      ack.type = 'button'
      ack.className = 'ack'
      ack.textContent = 'Acknowledge'
      ack.addEventListener('click', () => void this.acknowledge(alert.id, ack))
      li.append(ack)
    } else {
      li.append(textElement('span', 'muted', `acknowledged by ${alert.acknowledged_by ?? '?'}`))
    }
    return li
  }

  private async acknowledge(id: string, button: HTMLButtonElement): Promise<void> {
    if (this.token === undefined) return
    button.disabled = true
    this.message.textContent = ''
    const note = this.note.value.trim()
    try {
      await apiPost(this.token, `/v1/alerts/${encodeURIComponent(id)}/ack`, note === '' ? {} : { note })
      this.note.value = ''
      await this.refresh()
    } catch (error) {
      // Most often a read token: the server says an admin token is needed.
      this.message.textContent = (error as Error).message
      button.disabled = false
    }
  }
}

function textElement(tag: string, className: string, text: string): HTMLElement {
  const element = document.createElement(tag)
  element.className = className
  element.textContent = text
  return element
}
