/**
 * Connections without a token cannot starve producers (PRODUCT.md guarantee 7), against a real
 * collector process over real sockets: a request head over the size limit is answered 431, a
 * head that does not arrive in time 408, and connections that wait without an authenticated
 * request are capped, so producers are served however many of them are held open. The limits
 * are lowered (maxConnections 24, a 2 s head deadline) so the test is quick and needs no ulimit.
 */
import assert from 'node:assert/strict'
import { type Socket, connect } from 'node:net'
import { after, before, test } from 'node:test'
import {
  type CollectorProcess, closeHttp, deferredHooks, describeAnswer, http, rawRequest, spawnCollector, testEvent, waitFor,
} from '@tradetrail/test-support'

const HEAD_TIMEOUT_MS = 2000
const PER_ADDRESS = 6
const PROJECT = 'GateBot'

const owner = deferredHooks()
let c: CollectorProcess
let admin: string
let ingest: string

before(async () => {
  c = await spawnCollector(owner, {
    env: {
      TRADETRAIL_MAX_CONNECTIONS: '24', TRADETRAIL_MAX_UNAUTHENTICATED_CONNECTIONS: '12',
      TRADETRAIL_MAX_UNAUTHENTICATED_PER_ADDRESS: String(PER_ADDRESS), TRADETRAIL_HEAD_TIMEOUT: `${HEAD_TIMEOUT_MS}ms`,
    },
  })
  admin = c.adminToken!
  const created = await http(c.url, '/v1/tokens', { token: admin, body: { scope: 'ingest', projects: [PROJECT] } })
  assert.equal(created.status, 201, describeAnswer(created))
  ingest = created.json<{ token: string }>().token
})
after(async () => {
  closeHttp()
  await owner.run()
})

/** A connection the test holds open: what it was answered, and when it opened and closed. */
interface Held {
  socket: Socket
  openedAt: number
  closedAt: number | undefined
  answer: string
}

/** Opens a connection and writes `head` (possibly nothing, possibly half a head), then waits. */
function hold(head: string): Promise<Held> {
  return new Promise((resolve, reject) => {
    const socket = connect(c.port, '127.0.0.1')
    const held: Held = { socket, openedAt: 0, closedAt: undefined, answer: '' }
    socket.once('connect', () => {
      held.openedAt = Date.now()
      if (head !== '') socket.write(head)
      resolve(held)
    })
    socket.once('error', reject)
    socket.on('error', () => {}) // a connection closed to make room is reset
    socket.setEncoding('utf8').on('data', (s: string) => { held.answer += s })
    socket.on('close', () => { held.closedAt = Date.now() })
  })
}

const PARTIAL_HEAD = 'POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appli'

/** One keep-alive request on a raw socket; resolves with the status once the whole answer is in. */
function exchange(socket: Socket, head: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    let raw = ''
    const onData = (chunk: Buffer): void => {
      raw += chunk.toString('utf8')
      const end = raw.indexOf('\r\n\r\n')
      const length = /\r\ncontent-length: (\d+)/i.exec(raw)
      if (end < 0 || length === null || raw.length < end + 4 + Number(length[1])) return
      socket.off('data', onData).off('close', onClose)
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)![1]))
    }
    const onClose = (): void => reject(new Error(`the connection closed before a whole answer: ${JSON.stringify(raw.slice(0, 300))}`))
    socket.on('data', onData).on('close', onClose)
    socket.write(head + body)
  })
}

function eventRequest(token: string): [string, string] {
  const body = JSON.stringify([testEvent(PROJECT)])
  return [`POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`, body]
}

async function closedCount(reason: string): Promise<number> {
  const metrics = await http(c.url, '/metrics', { token: admin })
  assert.equal(metrics.status, 200, describeAnswer(metrics))
  return Number(new RegExp(`^tradetrail_connections_closed_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(metrics.text)?.[1] ?? 0)
}

function errorCode(answer: string): string | undefined {
  return /"code":"(TT_ERR_[A-Z_]+)"/.exec(answer)?.[1]
}

test('a request head over the size limit is answered 431 TT_ERR_HEADER_TOO_LARGE, and the collector serves the next request', async () => {
  const { status, raw } = await rawRequest(c.port, `GET /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${admin}\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`)
  assert.equal(status, 431, raw.slice(0, 300))
  assert.equal(errorCode(raw), 'TT_ERR_HEADER_TOO_LARGE', raw.slice(0, 300))
  assert.match(raw, /over 16384 bytes; send fewer or shorter headers/)
  const next = await http(c.url, '/v1/events?limit=1', { token: admin, fresh: true })
  assert.equal(next.status, 200, describeAnswer(next))
  assert.equal(await closedCount('header_too_large'), 1)
})

test('a connection that sends no head, half a head, or a head byte by byte is answered 408 TT_ERR_REQUEST_TIMEOUT at the head deadline', async () => {
  const silent = await hold('')
  const partial = await hold(PARTIAL_HEAD)
  const drip = await hold('GET /v1/events HTTP/1.1\r\n')
  const dripping = setInterval(() => drip.socket.write('X-A: b\r\n'), 100)
  try {
    const slow = [silent, partial, drip]
    await waitFor(() => slow.map((h) => h.closedAt), (closed) => closed.every((t) => t !== undefined), {
      describe: `all three connections closed about ${HEAD_TIMEOUT_MS} ms after they opened`, timeoutMs: HEAD_TIMEOUT_MS + 15_000,
    })
    for (const [name, h] of Object.entries({ silent, partial, drip })) {
      assert.match(h.answer, /^HTTP\/1\.1 408 /, `${name}: ${h.answer.slice(0, 300)}`)
      assert.equal(errorCode(h.answer), 'TT_ERR_REQUEST_TIMEOUT', `${name}: ${h.answer.slice(0, 300)}`)
      const lasted = h.closedAt! - h.openedAt
      assert.ok(lasted >= HEAD_TIMEOUT_MS - 50, `${name} was closed after ${lasted} ms, before the ${HEAD_TIMEOUT_MS} ms deadline`)
    }
  } finally {
    clearInterval(dripping)
  }
})

test('connections held open without a token cannot starve producers: they are capped, producers are answered 200, and the rest close at the head deadline', async () => {
  const evictedBefore = await closedCount('unauthenticated_limit')
  const timedOutBefore = await closedCount('timeout')
  // A producer on a keep-alive connection that has already made an authenticated request.
  const trusted = await hold('')
  assert.equal(await exchange(trusted.socket, ...eventRequest(ingest)), 200)

  // More connections than maxConnections (24), every one silent or stopped in the middle of its head.
  const attack = await Promise.all(Array.from({ length: 40 }, (_, i) => hold(i % 2 === 0 ? PARTIAL_HEAD : '')))
  for (let round = 0; round < 2; round++) {
    const answers = await Promise.all(Array.from({ length: 4 }, () =>
      http(c.url, '/v1/events', { token: ingest, body: [testEvent(PROJECT)], fresh: true })))
    for (const a of answers) assert.equal(a.status, 200, `a producer on a new connection: ${describeAnswer(a)}`)
  }
  assert.equal(await exchange(trusted.socket, ...eventRequest(ingest)), 200, 'the authenticated keep-alive connection was not counted, nor closed')

  await waitFor(() => attack.filter((h) => h.closedAt === undefined).length, (open) => open === 0, {
    describe: `every held connection closed by ${HEAD_TIMEOUT_MS} ms after it opened`, timeoutMs: HEAD_TIMEOUT_MS + 15_000,
  })
  const timedOut = attack.filter((h) => h.answer !== '')
  const evicted = attack.filter((h) => h.answer === '')
  for (const h of timedOut) {
    assert.equal(errorCode(h.answer), 'TT_ERR_REQUEST_TIMEOUT', h.answer.slice(0, 300))
    assert.ok(h.closedAt! - h.openedAt >= HEAD_TIMEOUT_MS - 50, `closed after ${h.closedAt! - h.openedAt} ms, before the deadline`)
  }
  assert.ok(timedOut.length >= 1 && timedOut.length <= PER_ADDRESS, `at most ${PER_ADDRESS} waited for the deadline, saw ${timedOut.length}`)
  assert.equal(evicted.length + timedOut.length, attack.length)
  assert.equal(await closedCount('unauthenticated_limit') - evictedBefore, evicted.length, 'every connection closed to make room is counted')
  assert.equal(await closedCount('timeout') - timedOutBefore, timedOut.length, 'every connection closed at the deadline is counted')
  trusted.socket.destroy()
})
