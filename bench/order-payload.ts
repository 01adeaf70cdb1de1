/**
 * The event the client benches send: a bot opening a position, the same for AuditClient and
 * for pino. Fresh objects per call, as a bot builds them; only `order_id` and `price` vary.
 */

export const ORDER_TYPE = 'trade_opened'
export const ORDER_MESSAGE = 'Opened long EURUSD'

export interface OrderData {
  symbol: string
  side: string
  quantity: number
  price: number
  order_id: string
  [key: string]: unknown
}

/** The data of the n-th order. */
export function orderData(n: number): OrderData {
  return { symbol: 'EURUSD', side: 'buy', quantity: 10_000, price: 1.085 + (n % 100) / 100_000, order_id: `o-${n}` }
}

/**
 * The n-th order's data grown to at least `bytes` of JSON with what bots attach to an order:
 * model features (prices to five decimals) and the signals behind them (short strings), half each.
 */
export function largeOrderData(n: number, bytes: number): OrderData {
  const data = orderData(n)
  let length = JSON.stringify(data).length
  for (let f = 0; length < bytes; f++) {
    const name = f % 2 === 0 ? `feature_${String(f).padStart(2, '0')}` : `signal_${String(f).padStart(2, '0')}`
    const value = f % 2 === 0 ? Math.round(1.085 * 100_000 + ((n * 7919 + f * 104_729) % 1000)) / 100_000 : SIGNALS[(n + f) % SIGNALS.length]!
    data[name] = value
    length += JSON.stringify(name).length + JSON.stringify(value).length + 2
  }
  return data
}

const SIGNALS = ['momentum_up', 'mean_revert', 'breakout_h1', 'spread_ok', 'vol_regime_low', 'news_clear']
