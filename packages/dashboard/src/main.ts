/**
 * The dashboard page: sign-in with a read token, the latest events of a view, then its live tail
 * over GET /v1/stream (docs/api.md) — reconnecting by itself with `after_seq`, fetching any gap
 * from /v1/events — so the rows are the server's matching events one for one, in seq order.
 * The token lives in sessionStorage and travels only in `Authorization` and the WebSocket
 * subprotocol. Event content reaches the page through textContent only, never as HTML.
 */
import { CSV_HEADER, type StoredEvent, csvRow, jsonLine } from '@tradetrail/core/browser'
import { AlertsPanel } from './alerts-panel.ts'
import { HttpError, apiGet, eventPages } from './api.ts'
import { ChainPanel } from './chain-panel.ts'
import { EventList } from './event-list.ts'
import { Playback } from './playback.ts'
import { RateChart } from './rate-chart.ts'
import { type Filters, FILTER_NAMES, filtersFromSearch, filtersToSearch, tokenFromFragment } from './view.ts'

const TOKEN_KEY = 'tradetrail.token'
/** Rows fetched when a view opens; live rows are added after them. */
const INITIAL_ROWS = 500
/** Beyond this many rows the oldest leave the page (the list is virtualised: only rows in sight are in the DOM). */
const MAX_ROWS = 200_000
/** Waits between reconnection attempts (ms), the last repeated. */
const RECONNECT_MS = [250, 500, 1000, 2000, 4000]
/** Close codes after which reconnecting cannot help (docs/api.md): a bad filter, token or scope. */
const FINAL_CLOSES = new Set([4400, 4401, 4403])

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T

/** One open view: its filters, rows and stream. A new view (other filters, sign-out) ends it. */
class LiveView {
  private held: StoredEvent[] = []
  private paused = false
  /** The highest seq accounted for: every matching event up to it is a row (or held). */
  private lastSeq = 0
  private socket: WebSocket | undefined
  private attempts = 0
  private timer: ReturnType<typeof setTimeout> | undefined
  private ended = false
  /** Frames are handled one after another: a gap's fetch finishes before later events are added. */
  private queue: Promise<void> = Promise.resolve()

  constructor(private readonly token: string, readonly filters: Filters, private readonly list: EventList, private readonly chart: RateChart) {}

  async open(): Promise<void> {
    this.list.reset(this.filters.q)
    this.chart.reset()
    this.status('connecting', 'loading…')
    try {
      // The newest seq first: the view's rows are those up to it, and the stream resumes after
      // it, so nothing committed in between is missed or shown twice.
      const newest = await this.get('/v1/events', { limit: '1' })
      const head = newest.events[0]?.seq ?? 0
      const page = await this.get('/v1/events', { ...this.filters, before_seq: String(head + 1), limit: String(INITIAL_ROWS) })
      if (this.ended) return
      this.add(page.events.reverse())
      this.lastSeq = head
      this.connect()
    } catch (error) {
      this.fail(error)
    }
  }

  end(): void {
    this.ended = true
    clearTimeout(this.timer)
    if (this.socket !== undefined) {
      this.socket.onclose = null
      this.socket.close(1000, 'view closed')
    }
  }

  togglePause(): void {
    this.paused = !this.paused
    if (!this.paused) {
      const held = this.held
      this.held = []
      this.render(held)
    }
    this.showHeld()
  }

  private get(path: string, params: Record<string, string>): Promise<{ events: StoredEvent[]; next: string | null }> {
    return apiGet(this.token, path, params)
  }

  private connect(): void {
    const url = new URL('/v1/stream' + filtersToSearch(this.filters, { after_seq: String(this.lastSeq) }), location.href)
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
    const socket = new WebSocket(url, ['tradetrail.v1', `bearer.${this.token}`])
    this.socket = socket
    let reason = ''
    socket.onmessage = (message) => {
      const frame = JSON.parse(String(message.data))
      if (frame.type === 'error') reason = frame.error.message
      this.queue = this.queue.then(() => this.handle(frame)).catch((error) => {
        // A gap that could not be fetched: a refusal ends the view; otherwise the stream is
        // closed and resumes after the last seq accounted for, so the gap comes round again.
        if (error instanceof HttpError) this.fail(error)
        socket.close()
      })
    }
    socket.onclose = (close) => {
      if (this.ended) return
      if (FINAL_CLOSES.has(close.code)) {
        this.status('stopped', reason || close.reason)
        if (close.code === 4401) signOut(reason || close.reason)
        return
      }
      // Once the frames already received are handled, so `after_seq` is their last.
      void this.queue.then(() => this.reconnect())
    }
  }

  private reconnect(): void {
    if (this.ended) return
    const wait = RECONNECT_MS[Math.min(this.attempts, RECONNECT_MS.length - 1)]!
    this.attempts++
    this.status('reconnecting', `reconnecting (attempt ${this.attempts})`)
    this.timer = setTimeout(() => this.connect(), wait)
  }

  private async handle(frame: any): Promise<void> {
    if (this.ended) return
    switch (frame.type) {
      case 'hello':
        this.attempts = 0
        this.status('connected', 'connected')
        break
      case 'events':
        this.add(frame.events)
        break
      case 'gap': {
        // The stream skipped from_seq…to_seq: fetch those, page by page, before anything later.
        const range = { ...this.filters, after_seq: String(frame.from_seq - 1), before_seq: String(frame.to_seq + 1), order: 'asc', limit: '1000' }
        for await (const page of eventPages(this.token, range)) {
          this.add(page)
          if (this.ended) return
        }
        this.lastSeq = Math.max(this.lastSeq, frame.to_seq)
        break
      }
      case 'heartbeat':
        this.lastSeq = Math.max(this.lastSeq, frame.seq)
        $('lag').textContent = `lag ${frame.head - frame.seq} events (at ${new Date(frame.time).toLocaleTimeString()})`
        break
    }
  }

  /** Events in seq order, each once: any at or below lastSeq is already here. */
  private add(events: readonly StoredEvent[]): void {
    const fresh = events.filter((e) => e.seq > this.lastSeq)
    if (fresh.length === 0) return
    this.lastSeq = Math.max(this.lastSeq, fresh[fresh.length - 1]!.seq)
    if (this.paused) {
      this.held.push(...fresh)
      this.showHeld()
    } else {
      this.render(fresh)
    }
  }

  private render(events: readonly StoredEvent[]): void {
    if (events.length === 0) return
    this.chart.add(events)
    this.chart.remove(this.list.append(events, MAX_ROWS))
    const rows = this.list.events
    $('count').textContent = `${rows.length} events`
    $('last-event').textContent = `last event ${rows[rows.length - 1]!.ts}`
  }

  private showHeld(): void {
    $('pause').textContent = this.paused ? 'Resume' : 'Pause'
    $('held').textContent = this.paused ? `${this.held.length} held` : ''
  }

  private status(state: string, text: string): void {
    const status = $('status')
    status.dataset.state = state
    status.textContent = text
  }

  private fail(error: unknown): void {
    if (this.ended) return
    if (error instanceof HttpError && error.status === 401) return signOut(error.message)
    if (error instanceof HttpError) {
      // A filter the server refuses: say so, and stream nothing until it is changed.
      this.status('stopped', 'stopped')
      $('error').textContent = error.message
      this.end()
      return
    }
    // The first rows could not be read (the collector restarting?): start again.
    this.status('reconnecting', 'reconnecting')
    this.timer = setTimeout(() => void this.open(), RECONNECT_MS[RECONNECT_MS.length - 1])
  }
}

let view: LiveView | Playback | undefined
let list: EventList
let chart: RateChart
let alerts: AlertsPanel
let chain: ChainPanel
/** The token the alerts and chain panels show (they stay as they are when only the filters change). */
let panelsToken: string | null = null

function showDetail(e: StoredEvent): void {
  const fields = $('detail-fields')
  fields.replaceChildren()
  const shown: Array<[string, string | undefined]> = [
    ['seq', String(e.seq)], ['id', e.id], ['ts', e.ts], ['received_at', e.received_at], ['project', e.project],
    ['type', e.type], ['severity', e.severity], ['source', e.source], ['actor', e.actor], ['submitter', e.submitter],
    ['flags', e.flags?.join(', ')], ['hash', e.hash],
  ]
  for (const [name, value] of shown) {
    const dt = document.createElement('dt')
    dt.textContent = name
    const dd = document.createElement('dd')
    dd.dataset.field = name
    dd.textContent = value ?? '—'
    fields.append(dt, dd)
  }
  $('detail-json').textContent = JSON.stringify(e, null, 2)
  $('detail').hidden = false
}

/** Opens the view of the page's URL, ending the one before. */
function openView(): void {
  view?.end()
  const token = sessionStorage.getItem(TOKEN_KEY)
  $('sign-in').hidden = token !== null
  $('view').hidden = token === null
  $('sign-out').hidden = token === null
  $('error').textContent = ''
  $('detail').hidden = true
  $('live').hidden = true
  view = undefined
  if (token !== panelsToken) {
    panelsToken = token
    alerts.open(token ?? undefined)
    chain.open(token ?? undefined)
  }
  if (token === null) {
    $('status').dataset.state = 'signed-out'
    $('status').textContent = 'signed out'
    return
  }
  const filters = filtersFromSearch(location.search)
  const form = $<HTMLFormElement>('filters')
  for (const name of FILTER_NAMES) (form.elements.namedItem(name) as HTMLInputElement).value = filters[name] ?? ''
  view = new LiveView(token, filters, list, chart)
  void view.open()
}

/** Replays the view's events from `from` to `to` (the filters' time syntax; `to` empty: now) at `speed`. */
function play(from: string, to: string, speed: number): void {
  const token = sessionStorage.getItem(TOKEN_KEY)
  if (token === null) return
  view?.end()
  $('error').textContent = ''
  $('held').textContent = ''
  $('pause').textContent = 'Pause'
  $('live').hidden = false
  const filters: Filters = { ...filtersFromSearch(location.search), since: from }
  if (to === '') delete filters.until
  else filters.until = to
  const playback = new Playback(token, filters, speed, list, chart, (state, text) => {
    $('status').dataset.state = state
    $('status').textContent = text
    $('count').textContent = `${list.events.length} events`
  })
  view = playback
  playback.open().catch((error: Error) => {
    if (view !== playback) return
    playback.end()
    $('status').dataset.state = 'stopped'
    $('status').textContent = 'stopped'
    $('error').textContent = error.message
  })
}

function signOut(reason = ''): void {
  sessionStorage.removeItem(TOKEN_KEY)
  $('sign-in-error').textContent = reason
  openView()
}

function download(name: string, text: string, type: string): void {
  const a = document.createElement('a')
  a.href = URL.createObjectURL(new Blob([text], { type }))
  a.download = name
  a.click()
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
}

function start(): void {
  list = new EventList($('scroller'), $<HTMLTableSectionElement>('rows'), showDetail)
  chart = new RateChart($('chart'), $('rate-totals'))
  alerts = new AlertsPanel($('alerts-list'), $('alerts-error'), $<HTMLInputElement>('ack-note'))
  chain = new ChainPanel($('last-verify'), $('checkpoints'), $('verify-result'), $<HTMLButtonElement>('verify'))
  $('alerts-refresh').addEventListener('click', () => void alerts.refresh())
  // The first-start banner's URL signs in through the fragment, which is then removed from
  // the address bar (and so from history and anything copied from it).
  const { token, rest } = tokenFromFragment(location.hash)
  if (token !== undefined) {
    sessionStorage.setItem(TOKEN_KEY, token)
    history.replaceState(null, '', location.pathname + location.search + rest)
  }
  $<HTMLFormElement>('sign-in').addEventListener('submit', (event) => {
    event.preventDefault()
    sessionStorage.setItem(TOKEN_KEY, $<HTMLInputElement>('token').value.trim())
    $<HTMLInputElement>('token').value = ''
    $('sign-in-error').textContent = ''
    openView()
  })
  $('sign-out').addEventListener('click', () => signOut())
  $<HTMLFormElement>('filters').addEventListener('submit', (event) => {
    event.preventDefault()
    const data = new FormData(event.target as HTMLFormElement)
    const filters: Filters = {}
    for (const name of FILTER_NAMES) filters[name] = String(data.get(name) ?? '').trim()
    history.pushState(null, '', location.pathname + filtersToSearch(filters))
    openView()
  })
  $('clear').addEventListener('click', () => {
    history.pushState(null, '', location.pathname)
    openView()
  })
  $('pause').addEventListener('click', () => {
    view?.togglePause()
    if (view instanceof Playback) $('pause').textContent = view.paused ? 'Resume' : 'Pause'
  })
  $<HTMLFormElement>('playback').addEventListener('submit', (event) => {
    event.preventDefault()
    const data = new FormData(event.target as HTMLFormElement)
    play(String(data.get('from') ?? '').trim(), String(data.get('to') ?? '').trim(), Number(data.get('speed')))
  })
  $('live').addEventListener('click', openView)
  $('close-detail').addEventListener('click', () => { $('detail').hidden = true })
  $('export-csv').addEventListener('click', () => download('tradetrail.csv', CSV_HEADER + list.events.map(csvRow).join(''), 'text/csv'))
  $('export-jsonl').addEventListener('click', () => download('tradetrail.jsonl', list.events.map(jsonLine).join(''), 'application/x-ndjson'))
  addEventListener('popstate', openView)
  openView()
}

start()
