/** The connection gate over real loopback sockets from several addresses (127.0.0.2, .3, .4 are all loopback on Linux). */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { type Server, type Socket, connect, createServer } from 'node:net'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { connect as tlsConnect, createServer as createTlsServer } from 'node:tls'
import { tempDir, waitFor } from '@tradetrail/test-support'
import { ConnectionGate, type ConnectionGateLimits } from '../../src/collector/connection-gate.ts'

interface Pair {
  client: Socket
  /** The server's side of the connection, as the gate sees it. */
  server: Socket
  closed: () => boolean
}

const servers: Server[] = []
const clients: Socket[] = []
after(() => {
  for (const c of clients) c.destroy()
  for (const s of servers) s.close()
})

/** A server whose every accepted connection goes through a gate; `open` connects from an address and waits for the accept. */
async function gated(limits: ConnectionGateLimits): Promise<{ gate: ConnectionGate; closedByGate: () => number; open: (from: string) => Promise<Pair> }> {
  let closedByGate = 0
  const gate = new ConnectionGate(limits, () => { closedByGate++ })
  const accepted = new Map<number, Socket>()
  const server = createServer((socket) => {
    gate.admit(socket)
    accepted.set(socket.remotePort!, socket)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const open = async (from: string): Promise<Pair> => {
    const client = connect({ port, host: '127.0.0.1', localAddress: from })
    clients.push(client)
    let closed = false
    client.on('error', () => {})
    client.on('close', () => { closed = true })
    await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject))
    const server = await waitFor(() => accepted.get(client.localPort!), (s) => s !== undefined, { describe: `the server to accept the connection from ${from}` })
    return { client, server: server!, closed: () => closed }
  }
  return { gate, closedByGate: () => closedByGate, open }
}

async function waitClosed(pair: Pair, what: string): Promise<void> {
  await waitFor(() => pair.closed(), (closed) => closed, { describe: `${what} to be closed` })
}

test('at the per-address cap the oldest waiting connection of that address is closed, not the new one, nor another address\'s', async () => {
  const { gate, closedByGate, open } = await gated({ perAddress: 2, overall: 10 })
  const a1 = await open('127.0.0.2')
  const a2 = await open('127.0.0.2')
  const b1 = await open('127.0.0.3')
  const a3 = await open('127.0.0.2')
  await waitClosed(a1, 'the oldest of 127.0.0.2')
  assert.deepEqual([a2.closed(), b1.closed(), a3.closed()], [false, false, false], 'the others stay open')
  assert.equal(gate.size, 3)
  assert.equal(closedByGate(), 1)
})

test('at the overall cap the oldest waiting connection of the address with the most waiting is closed', async () => {
  const { gate, open } = await gated({ perAddress: 10, overall: 4 })
  const y1 = await open('127.0.0.3')
  const x1 = await open('127.0.0.2')
  const x2 = await open('127.0.0.2')
  const x3 = await open('127.0.0.2')
  const z1 = await open('127.0.0.4')
  await waitClosed(x1, 'the oldest of the busiest address, 127.0.0.2')
  assert.deepEqual([y1.closed(), x2.closed(), x3.closed(), z1.closed()], [false, false, false, false], 'the oldest overall (127.0.0.3) and the new one stay')
  assert.equal(gate.size, 4)
})

test('a trusted connection stops counting and is never closed to make room; a closed one stops counting', async () => {
  const { gate, closedByGate, open } = await gated({ perAddress: 1, overall: 1 })
  const producer = await open('127.0.0.2')
  gate.trust(producer.server)
  gate.trust(producer.server) // again, as every later request on it does: nothing changes
  assert.equal(gate.size, 0)
  const idle = await open('127.0.0.2')
  assert.equal(gate.size, 1)
  const another = await open('127.0.0.2')
  await waitClosed(idle, 'the waiting connection')
  assert.equal(producer.closed(), false, 'the trusted connection stays')
  another.client.destroy()
  await waitFor(() => gate.size, (n) => n === 0, { describe: 'a connection closed by its client to leave the gate' })
  assert.equal(closedByGate(), 1)
})

test('under TLS the gate takes the TCP connection and trusts it through its TLS socket', async (t) => {
  const dir = tempDir(t, 'tt-gate-tls')
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')]
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' })
  } catch (error) {
    if (process.env.CI === 'true') throw error
    t.skip(`openssl is not available here (${(error as Error).message}): TLS NOT TESTED`)
    return
  }
  const gate = new ConnectionGate({ perAddress: 4, overall: 4 })
  /** The gate's size after each step: admitting the TCP socket, trusting the TLS socket. */
  const sizes: number[] = []
  const server = createTlsServer({ cert: readFileSync(cert), key: readFileSync(key) }, (tlsSocket) => {
    gate.trust(tlsSocket)
    sizes.push(gate.size)
  })
  server.on('connection', (socket: Socket) => {
    gate.admit(socket)
    sizes.push(gate.size)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  clients.push(tlsConnect({ port: (server.address() as { port: number }).port, host: '127.0.0.1', ca: readFileSync(cert), checkServerIdentity: () => undefined }))
  await waitFor(() => [...sizes], (seen) => seen.length === 2, { describe: 'the TCP connection admitted, then its TLS socket trusted' })
  assert.deepEqual(sizes, [1, 0], 'waiting once admitted, no longer once trusted through its TLS socket')
})
