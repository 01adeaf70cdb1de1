/**
 * A small EURUSD bot that records everything it does through the Tradetrail SDK (seed 002's
 * AuditNotifier usage). It trades against a random walk, so it needs nothing but a collector:
 *
 *   TRADETRAIL_TOKEN=tt_… node --import tsx examples/trading-bot.ts [--seconds 30]
 *
 * TRADETRAIL_URL defaults to http://127.0.0.1:9324. Ctrl-C stops it; the SDK delivers
 * what is still queued before the process ends.
 */
import { AuditNotifier, ProjectEvents, ProjectPrivileges } from '@tradetrail/client'

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 30)
const auditor = new AuditNotifier({
  projectName: 'MyTradingBot',
  projectMarket: 'FOREX',
  projectDescription: 'Automated EURUSD trading system',
  projectPrivileges: ProjectPrivileges.EXECUTE_TRADE,
  source: 'EurusdMomentum',
  onError: (error) => console.error(`audit: ${error.code}: ${error.message}`),
})

let price = 1.085
let position: { side: 'long' | 'short'; entry: number; orderId: string } | undefined
let orders = 0
let pnl = 0

function step(): void {
  price = Math.round((price + (Math.random() - 0.5) * 0.0004) * 100_000) / 100_000
  if (!position && Math.random() < 0.2) {
    const orderId = `o-${++orders}`
    const side = Math.random() < 0.5 ? 'long' : 'short'
    auditor.send(ProjectEvents.ORDER_SUBMITTED, `Submitted ${side === 'long' ? 'buy' : 'sell'} order ${orderId} EURUSD 10000`,
      { symbol: 'EURUSD', side, quantity: 10_000, order_id: orderId })
    auditor.send(ProjectEvents.ORDER_FILLED, `Filled ${orderId} at ${price}`, { symbol: 'EURUSD', order_id: orderId, price })
    auditor.send(ProjectEvents.TRADE_OPENED, `Opened ${side} EURUSD`, { symbol: 'EURUSD', price, quantity: 10_000 })
    position = { side, entry: price, orderId }
  } else if (position && Math.random() < 0.15) {
    const profit = Math.round((price - position.entry) * (position.side === 'long' ? 1 : -1) * 10_000 * 100) / 100
    pnl += profit
    auditor.send(ProjectEvents.TRADE_CLOSED, `Closed EURUSD position`, { symbol: 'EURUSD', exit_price: price, profit })
    position = undefined
    if (pnl < -5) {
      auditor.send(ProjectEvents.RISK_LIMIT_BREACH, `Daily loss ${pnl.toFixed(2)} beyond the -5.00 limit`, { pnl, limit: -5 }, { severity: 'warning' })
      pnl = 0
    }
  }
  if (Math.random() < 0.01) {
    auditor.send(ProjectEvents.ERROR, 'Connection timeout to broker', { error_code: 'CONN_TIMEOUT' }, { severity: 'error', source: 'BrokerLink' })
  }
}

const timer = setInterval(step, 100)
const stop = async (): Promise<void> => {
  clearInterval(timer)
  auditor.send(ProjectEvents.SHUTDOWN, `Stopped after ${orders} orders`)
  await auditor.close()
  console.log(`done: ${JSON.stringify(auditor.stats())}`)
}
setTimeout(() => void stop(), seconds * 1000)
process.once('SIGINT', () => void stop().then(() => process.exit(0)))
