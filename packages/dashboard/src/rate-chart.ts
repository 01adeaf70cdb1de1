/**
 * The chart of events per minute by severity over the rows of the view (uPlot, which sets only
 * element.style properties — allowed by the page's CSP, unlike style attributes — and whose
 * stylesheet is bundled into app.css). Redrawn at most a few times a second however fast
 * events arrive.
 */
import uPlot from 'uplot'
import { SEVERITIES, type StoredEvent } from '@tradetrail/core/browser'
import { MinuteCounts } from './minute-counts.ts'

const COLORS: Record<string, string> = {
  debug: '#9aa4ae', info: '#3b82f6', notice: '#14b8a6', warning: '#f0a020', error: '#e5484d', critical: '#7c1d6f',
}
const REDRAW_MS = 250
const HEIGHT = 140

export class RateChart {
  private counts = new MinuteCounts()
  private readonly plot: uPlot
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly box: HTMLElement, private readonly totals: HTMLElement) {
    this.plot = new uPlot({
      width: this.width(), height: HEIGHT,
      scales: { x: { time: true } },
      series: [{}, ...SEVERITIES.map((s) => ({ label: s, stroke: COLORS[s], width: 1.5, points: { show: false } }))],
      axes: [{}, { size: 40 }],
      legend: { live: false },
    }, this.counts.data() as uPlot.AlignedData, box)
    addEventListener('resize', () => this.plot.setSize({ width: this.width(), height: HEIGHT }))
  }

  /** A new view: no rows counted. */
  reset(): void {
    this.counts = new MinuteCounts()
    this.schedule()
  }

  add(events: readonly StoredEvent[]): void {
    this.counts.add(events)
    this.schedule()
  }

  remove(events: readonly StoredEvent[]): void {
    this.counts.remove(events)
    this.schedule()
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.draw(), REDRAW_MS)
  }

  private draw(): void {
    this.timer = undefined
    if (this.plot.width !== this.width()) this.plot.setSize({ width: this.width(), height: HEIGHT })
    this.plot.setData(this.counts.data() as uPlot.AlignedData)
    const totals = this.counts.total()
    this.totals.textContent = totals.length === 0 ? 'no events' : totals.map(([s, n]) => `${s} ${n}`).join(' · ')
  }

  private width(): number {
    return Math.max(200, this.box.clientWidth)
  }
}
