/**
 * The rows of the view as a virtualised table: every event is held in an array, but only the
 * rows in sight (and a few either side) are in the DOM, between two spacer rows that give the
 * table its full height — so 100k events scroll without long tasks. Rows are one line high
 * (the detail shows the whole message). The tail is followed while the user is at the bottom;
 * scrolling up stops it. Up/down move the selection, Enter opens it.
 */
import type { StoredEvent } from '@tradetrail/core/browser'
import { highlight } from './view.ts'

/** Rows drawn beyond each edge of the visible ones. */
const OVERSCAN = 20
/** While following a fast tail, at most one redraw per this many ms (each lays the list out). */
const FOLLOW_DRAW_MS = 100
/** Until a row was measured (CSS makes them all this high, give or take a border). */
const DEFAULT_ROW_PX = 25

export class EventList {
  private rows: StoredEvent[] = []
  private q: string | undefined
  private selectedSeq: number | undefined
  private following = true
  private rowPx = 0
  private frame = 0
  private pending: ReturnType<typeof setTimeout> | undefined
  private lastDraw = -Infinity
  /** The scroller's height, kept by a ResizeObserver: reading clientHeight in draw() would lay the page out once more. */
  private viewHeight = 0
  private readonly top = spacer()
  private readonly bottom = spacer()

  constructor(
    private readonly scroller: HTMLElement,
    private readonly body: HTMLTableSectionElement,
    private readonly open: (e: StoredEvent) => void,
  ) {
    scroller.addEventListener('scroll', () => {
      this.following = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 8
      this.schedule()
    })
    new ResizeObserver(() => {
      this.viewHeight = scroller.clientHeight
      this.schedule()
    }).observe(scroller)
    scroller.addEventListener('keydown', (event) => this.key(event))
    body.addEventListener('click', (event) => {
      const tr = (event.target as Element).closest('tr[data-seq]')
      if (tr !== null) this.select(Number(tr.getAttribute('data-seq')), true)
    })
  }

  get events(): readonly StoredEvent[] {
    return this.rows
  }

  /** A new view: no rows; `q` is the text search whose matches are marked. */
  reset(q: string | undefined): void {
    this.rows = []
    this.q = q
    this.selectedSeq = undefined
    this.following = true
    this.draw()
  }

  /** Adds events (newer than every row) and returns the oldest rows dropped beyond `max`. */
  append(events: readonly StoredEvent[], max: number): StoredEvent[] {
    for (const e of events) this.rows.push(e)
    const excess = this.rows.length - max
    const dropped = excess > 0 ? this.rows.splice(0, excess) : []
    if (dropped.length > 0 && !this.following) this.scroller.scrollTop -= dropped.length * this.rowHeight()
    this.schedule()
    return dropped
  }

  private rowHeight(): number {
    return this.rowPx || DEFAULT_ROW_PX
  }

  private schedule(): void {
    if (!this.following && this.pending !== undefined) {
      clearTimeout(this.pending)
      this.pending = undefined
    }
    if (this.frame !== 0 || this.pending !== undefined) return
    const wait = this.following ? this.lastDraw + FOLLOW_DRAW_MS - performance.now() : 0
    if (wait > 0) {
      this.pending = setTimeout(() => {
        this.pending = undefined
        this.schedule()
      }, wait)
      return
    }
    this.frame = requestAnimationFrame(() => this.draw())
  }

  private draw(): void {
    cancelAnimationFrame(this.frame)
    clearTimeout(this.pending)
    this.frame = 0
    this.pending = undefined
    this.lastDraw = performance.now()
    const h = this.rowHeight()
    const { scroller, rows } = this
    const visible = Math.ceil(this.viewHeight / h) + 1
    const top = this.following ? Math.max(0, rows.length - visible) : Math.floor(scroller.scrollTop / h)
    const first = Math.max(0, Math.min(top, rows.length) - OVERSCAN)
    const last = Math.min(rows.length, top + visible + OVERSCAN)
    this.top.style.height = `${first * h}px`
    this.bottom.style.height = `${(rows.length - last) * h}px`
    const drawn: HTMLElement[] = [this.top]
    for (let i = first; i < last; i++) drawn.push(this.row(rows[i]!))
    drawn.push(this.bottom)
    this.body.replaceChildren(...drawn)
    if (this.rowPx === 0 && last > first) {
      this.rowPx = drawn[1]!.getBoundingClientRect().height || DEFAULT_ROW_PX
      if (this.rowPx !== DEFAULT_ROW_PX) return this.draw()
    }
    if (this.following) scroller.scrollTop = scroller.scrollHeight
  }

  private row(e: StoredEvent): HTMLTableRowElement {
    const tr = document.createElement('tr')
    tr.dataset.seq = String(e.seq)
    tr.dataset.severity = e.severity
    if (e.seq === this.selectedSeq) tr.className = 'selected'
    for (const [name, value] of [['seq', String(e.seq)], ['ts', e.ts], ['project', e.project], ['type', e.type], ['severity', e.severity]] as const) {
      const td = document.createElement('td')
      td.className = name
      td.textContent = value
      tr.append(td)
    }
    const message = document.createElement('td')
    message.className = 'message'
    for (const piece of highlight(e.message, this.q)) {
      if (piece.match) {
        const mark = document.createElement('mark')
        mark.textContent = piece.text
        message.append(mark)
      } else {
        message.append(piece.text)
      }
    }
    tr.append(message)
    return tr
  }

  private key(event: KeyboardEvent): void {
    if (this.rows.length === 0 || !['ArrowUp', 'ArrowDown', 'Enter'].includes(event.key)) return
    event.preventDefault()
    const at = this.selectedSeq === undefined ? -1 : indexOfSeq(this.rows, this.selectedSeq)
    if (event.key === 'Enter') {
      if (at >= 0) this.open(this.rows[at]!)
      return
    }
    const next = at < 0
      ? (event.key === 'ArrowDown' ? Math.floor(this.scroller.scrollTop / this.rowHeight()) : this.rows.length - 1)
      : Math.max(0, Math.min(this.rows.length - 1, at + (event.key === 'ArrowDown' ? 1 : -1)))
    this.select(this.rows[Math.min(next, this.rows.length - 1)]!.seq, false)
    // Keep the selected row in sight (below the sticky header).
    const h = this.rowHeight()
    const y = (Math.min(next, this.rows.length - 1)) * h
    const header = this.scroller.querySelector('thead')?.getBoundingClientRect().height ?? 0
    if (y < this.scroller.scrollTop) this.scroller.scrollTop = y
    else if (y + h + header > this.scroller.scrollTop + this.viewHeight) this.scroller.scrollTop = y + h + header - this.viewHeight
  }

  private select(seq: number, open: boolean): void {
    this.selectedSeq = seq
    this.body.querySelector('tr.selected')?.classList.remove('selected')
    this.body.querySelector(`tr[data-seq="${seq}"]`)?.classList.add('selected')
    const at = indexOfSeq(this.rows, seq)
    if (open && at >= 0) this.open(this.rows[at]!)
  }
}

function spacer(): HTMLTableRowElement {
  const tr = document.createElement('tr')
  tr.className = 'spacer'
  tr.setAttribute('aria-hidden', 'true')
  return tr
}

/** Where `seq` is in rows sorted by seq, or -1. */
function indexOfSeq(rows: readonly StoredEvent[], seq: number): number {
  let lo = 0
  let hi = rows.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    const s = rows[mid]!.seq
    if (s === seq) return mid
    if (s < seq) lo = mid + 1
    else hi = mid - 1
  }
  return -1
}
