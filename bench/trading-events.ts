/**
 * Raw events as trading bots send them (the wire format, before validation): orders,
 * fills, positions, heartbeats, risk checks, errors and seed 000's auto-repair lines,
 * from ten projects, with `ts` rising evenly over 30 days and UUIDv7 ids taken at `ts`.
 * Content is deterministic for a given seed; only the ids' random bits differ between
 * passes, unless the ids of a first pass are handed back (`ids`) to repeat it exactly.
 */
import { formatMicros, uuidv7 } from '@tradetrail/core'

/** The trail starts here and spans TRAIL_SPAN_MS, whatever the number of events. */
export const TRAIL_START_MS = Date.UTC(2025, 10, 1)
export const TRAIL_SPAN_MS = 30 * 86_400_000

/** A word only order rejections carry: ~1% of events. */
export const RARE_WORD = 'rejected'
/** A word of fills and of trade closes: ~30% of events. */
export const COMMON_WORD = 'filled'

export type RawEvent = Record<string, unknown>

const TRADING_PROJECTS = [
  ['QuantumTraderV3', 20], ['eth-marketmaker', 18], ['btc-momentum', 15], ['eurusd-meanrevert', 15],
  ['arb.binance-bybit', 12], ['fx-carry', 8], ['options-hedger', 7], ['ES_NQ_spreader', 5],
] as const
const RISK_PROJECT = 'RiskEngine'
const REPAIR_PROJECT = 'AutoRepair'

const SYMBOLS = [
  ['EURUSD', 1.085, 5, 100_000], ['GBPUSD', 1.27, 5, 100_000], ['USDJPY', 151.2, 3, 100_000], ['XAUUSD', 2650, 2, 10],
  ['BTCUSDT', 96_000, 1, 0.05], ['ETHUSDT', 3600, 2, 1], ['SOLUSDT', 240, 3, 20], ['AAPL', 229, 2, 100],
  ['ES', 6050, 2, 1], ['NQ', 21_300, 2, 1],
] as const
const VENUES = ['binance', 'bybit', 'oanda', 'ibkr', 'lmax', 'coinbase']
const HOSTS = ['trade-01', 'trade-02', 'trade-03', 'risk-01']
const CANCEL_REASONS = ['stale quote', 'requote', 'timeout after 5000 ms', 'strategy exit', 'replaced by amend']
const REJECT_REASONS = ['insufficient margin', 'price outside band', 'rate limit exceeded', 'reduce-only violated', 'market closed']
const REPAIRS = [
  "Auto-repair: Created PostgreSQL database 'quantum'", 'Auto-repair: Retrained XGBoost model to 22 features',
  'Auto-repair: Restarted Grafana container', 'Auto-repair: Cleaned Docker cache', 'Auto-repair: PostgreSQL check - OK',
]
const SELF_HEALS = [
  'Weekly self-heal: Started validation cycle', 'Weekly self-heal: AI Agent validation - PASSED',
  'Weekly self-heal: Module integrity check - PASSED', 'Weekly self-heal: Completed - All checks passed',
]

/** Deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Kind = (g: Gen) => RawEvent

class Gen {
  readonly random: () => number
  orderNo = 7_000_000
  constructor(seed: number) { this.random = prng(seed) }
  int(lo: number, hi: number): number { return lo + Math.floor(this.random() * (hi - lo + 1)) }
  pick<T>(items: readonly T[]): T { return items[Math.floor(this.random() * items.length)]! }
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    let total = 0
    for (const [, w] of items) total += w
    let r = this.random() * total
    for (const [item, w] of items) if ((r -= w) < 0) return item
    return items[items.length - 1]![0]
  }
  project(): string { return this.weighted(TRADING_PROJECTS) }
  symbol(): { symbol: string; price: number; digits: number; lot: number } {
    const [symbol, mid, digits, lot] = this.pick(SYMBOLS)
    return { symbol, price: Number((mid * (1 + (this.random() - 0.5) * 0.02)).toFixed(digits)), digits, lot }
  }
  qty(lot: number): number { return Number((lot * this.int(1, 20)).toPrecision(6)) }
  side(): string { return this.random() < 0.5 ? 'buy' : 'sell' }
  orderId(): string { return `O-${++this.orderNo}` }
}

const KINDS: ReadonlyArray<readonly [Kind, number]> = [
  [(g) => {
    const s = g.symbol(), side = g.side(), qty = g.qty(s.lot), venue = g.pick(VENUES), tif = g.pick(['GTC', 'IOC', 'GTX'])
    return {
      project: g.project(), type: 'order_submitted', message: `Submitted ${tif} limit ${side} ${qty} ${s.symbol} @ ${s.price} on ${venue}`,
      source: 'OrderRouter',
      data: { order_id: g.orderId(), symbol: s.symbol, side, qty, price: s.price, order_type: 'limit', tif, venue },
    }
  }, 24],
  [(g) => {
    const s = g.symbol(), side = g.side(), qty = g.qty(s.lot), slip = Number((g.random() * 2 - 0.5).toFixed(2))
    return {
      project: g.project(), type: 'order_filled', message: `Order O-${g.orderNo - g.int(0, 40)} filled: ${side} ${qty} ${s.symbol} @ ${s.price} (slippage ${slip} bps)`,
      source: 'ExecutionHandler',
      data: {
        order_id: `O-${g.orderNo}`, fill_id: `F-${g.int(1e8, 9e8)}`, symbol: s.symbol, side, qty, price: s.price,
        fee: Number((qty * s.price * 0.0002).toFixed(4)), liquidity: g.random() < 0.6 ? 'maker' : 'taker', slippage_bps: slip,
      },
    }
  }, 27],
  [(g) => {
    const reason = g.pick(CANCEL_REASONS)
    return {
      project: g.project(), type: 'order_cancelled', message: `Cancelled O-${g.orderNo - g.int(0, 40)}: ${reason}`,
      source: 'OrderRouter', data: { order_id: `O-${g.orderNo}`, reason, open_ms: g.int(5, 30_000) },
    }
  }, 8],
  [(g) => {
    const s = g.symbol(), dir = g.random() < 0.5 ? 'long' : 'short', qty = g.qty(s.lot)
    const stop = Number((s.price * (dir === 'long' ? 0.99 : 1.01)).toFixed(s.digits))
    return {
      project: g.project(), type: 'trade_opened', message: `Opened ${dir} ${s.symbol} ${qty} @ ${s.price}, stop ${stop}`,
      source: 'Strategy', actor: 'bot:prod',
      data: { position_id: `P-${g.int(1e5, 9e5)}`, symbol: s.symbol, direction: dir, qty, entry_price: s.price, stop_loss: stop, strategy: g.pick(['mean_revert', 'momentum', 'carry', 'arb']) },
    }
  }, 5],
  [(g) => {
    const s = g.symbol(), pnl = Number(((g.random() - 0.45) * 800).toFixed(2))
    return {
      project: g.project(), type: 'trade_closed', message: `Closed ${s.symbol} @ ${s.price} after exit order filled: ${pnl >= 0 ? '+' : ''}${pnl} USD`,
      source: 'Strategy', actor: 'bot:prod',
      data: { position_id: `P-${g.int(1e5, 9e5)}`, symbol: s.symbol, exit_price: s.price, pnl_usd: pnl, holding_s: g.int(3, 86_400) },
    }
  }, 4],
  [(g) => {
    const s = g.symbol(), venue = g.pick(VENUES), reason = g.pick(REJECT_REASONS)
    return {
      project: g.project(), type: 'order_rejected', severity: 'warning', message: `Order O-${g.orderNo} for ${s.symbol} rejected by ${venue}: ${reason}`,
      source: 'OrderRouter', data: { order_id: `O-${g.orderNo}`, symbol: s.symbol, venue, reason, venue_code: g.int(1000, 1099) },
    }
  }, 1],
  [(g) => ({
    project: g.project(), type: 'heartbeat', severity: 'debug',
    message: `Heartbeat: ${g.int(0, 6)} open positions, feed lag ${g.int(1, 400)} ms, equity ${g.int(90_000, 130_000)} USD`,
    source: 'Supervisor', data: { open_positions: g.int(0, 6), feed_lag_ms: g.int(1, 400), cpu_pct: g.int(2, 95), rss_mb: g.int(180, 900) },
  }), 13],
  [(g) => {
    const s = g.symbol()
    return {
      project: g.project(), type: 'position_update', message: `Position ${s.symbol}: ${g.qty(s.lot)} @ avg ${s.price}, unrealized ${((g.random() - 0.5) * 600).toFixed(2)} USD`,
      source: 'PortfolioTracker', data: { symbol: s.symbol, avg_price: s.price, unrealized_usd: Number(((g.random() - 0.5) * 600).toFixed(2)) },
    }
  }, 8],
  [(g) => {
    const s = g.symbol(), z = Number(((g.random() - 0.5) * 6).toFixed(2))
    return {
      project: g.project(), type: 'signal', message: `Signal ${s.symbol}: z-score ${z}, spread ${g.int(1, 30)} bps -> ${Math.abs(z) > 2 ? 'enter' : 'hold'}`,
      source: 'SignalEngine', data: { symbol: s.symbol, z_score: z, model: 'xgb-22f', features: 22 },
    }
  }, 4],
  [(g) => ({
    project: RISK_PROJECT, type: 'risk_check', message: `Risk check passed: exposure ${g.int(5, 79)}% of limit, drawdown ${(g.random() * 3).toFixed(2)}%`,
    source: 'RiskEngine', data: { exposure_pct: g.int(5, 79), var_usd: g.int(1000, 9000), checked_projects: 8 },
  }), 4],
  [(g) => ({
    project: RISK_PROJECT, type: 'risk_limit_breach', severity: g.random() < 0.8 ? 'warning' : 'critical',
    message: `Daily loss limit ${g.int(80, 104)}% used: -${g.int(4000, 5200)} USD of -5000 USD on ${g.project()}`,
    source: 'RiskEngine', data: { limit_usd: -5000, used_pct: g.int(80, 104) },
  }), 0.3],
  [(g) => ({
    project: RISK_PROJECT, type: 'kill_switch', severity: 'critical', message: `Kill switch engaged for ${g.project()}: drawdown 6.2% exceeded 5%`,
    source: 'RiskEngine', actor: 'risk:auto', data: { drawdown_pct: 6.2, threshold_pct: 5 },
  }), 0.02],
  [(g) => {
    const venue = g.pick(VENUES)
    return g.random() < 0.5
      ? { project: g.project(), type: 'error', severity: 'error', message: `Feed timeout on ${venue} websocket: CONN_TIMEOUT after 5000 ms, reconnecting`, source: 'MarketDataFeed', data: { error_code: 'CONN_TIMEOUT', venue, retry: g.int(1, 5) } }
      : { project: g.project(), type: 'error', severity: 'error', message: `No ack for O-${g.orderNo} from ${venue} after 2000 ms`, source: 'OrderRouter', data: { error_code: 'ACK_TIMEOUT', venue, order_id: `O-${g.orderNo}` } }
  }, 1.5],
  [(g) => ({ project: REPAIR_PROJECT, type: 'auto_repair', severity: 'notice', message: g.pick(REPAIRS), source: 'auto_repair_system' }), 1],
  [(g) => ({ project: REPAIR_PROJECT, type: 'self_heal', message: g.pick(SELF_HEALS), source: 'weekly_self_heal' }), 0.5],
  [(g) => {
    const key = g.pick(['max_position_usd', 'max_orders_per_s', 'spread_bps', 'stop_loss_pct'])
    const from = g.int(1, 50)
    return {
      project: g.project(), type: 'config_change', severity: 'notice', message: `Config change: ${key} ${from} -> ${from + g.int(1, 10)}`,
      source: 'ConfigWatcher', actor: g.pick(['ops@desk', 'alice', 'deploy-bot']), data: { key, from, to: from + 1 },
    }
  }, 0.3],
  [(g) => ({
    project: g.project(), type: g.random() < 0.5 ? 'boot' : 'shutdown', severity: 'notice',
    message: `${g.random() < 0.5 ? 'Booted' : 'Stopping'} v3.4.${g.int(0, 9)} on ${g.pick(HOSTS)} (pid ${g.int(1000, 65_000)})`, source: 'Supervisor',
  }), 0.2],
]

export interface TradingEventOptions {
  seed?: number
  /**
   * Ids to use instead of fresh ones (ids[i] for event i), so that a second pass yields
   * exactly the rows of the first: collect them from the first pass.
   */
  ids?: readonly string[]
}

/**
 * `total` raw events in batches of `batchSize`, oldest first. Event i has
 * `ts` ≈ TRAIL_START_MS + i·(TRAIL_SPAN_MS/total) with microsecond jitter that keeps
 * the order, and an id made by uuidv7 at that millisecond.
 */
export function* tradingEventBatches(total: number, batchSize: number, options: TradingEventOptions = {}): Generator<RawEvent[]> {
  const g = new Gen(options.seed ?? 20251101)
  const ids = options.ids
  const stepMicros = (TRAIL_SPAN_MS * 1000) / total
  for (let start = 0; start < total; start += batchSize) {
    const batch: RawEvent[] = new Array(Math.min(batchSize, total - start))
    for (let j = 0; j < batch.length; j++) {
      const i = start + j
      const micros = Math.floor(TRAIL_START_MS * 1000 + (i + g.random() * 0.9) * stepMicros)
      const body = g.weighted(KINDS)(g)
      const event: RawEvent = { id: ids?.[i] ?? uuidv7(Math.floor(micros / 1000)), ts: formatMicros(micros), ...body }
      if (g.random() < 0.4) {
        event.metadata = { host: g.pick(HOSTS), pid: g.int(1000, 65_000), version: '3.4.1', processing_latency_us: g.int(20, 2500) }
      }
      batch[j] = event
    }
    yield batch
  }
}

