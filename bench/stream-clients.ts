/**
 * WebSocket stream clients in a process of their own (a child of a stream bench, so that they
 * never share the collector's event loop; they do share its 2 cores), driven over IPC by
 * stream-load.ts. Each client counts the events it is sent (occurrences of `"seq":` in an
 * events frame, no JSON parsing) and the ones a gap frame says it missed; on request it notes
 * when each bench batch (`"tt_bench_batch":N` in an event's data) arrived, on the wall clock
 * (performance.timeOrigin + now(): the same clock in every process of this machine), and
 * client 0 keeps raw events frames for the bare broadcast fixture to replay.
 */
import WebSocket from 'ws'

export type ClientCommand =
  | { cmd: 'connect'; urls: string[]; token?: string }
  | { cmd: 'reset'; arrivals: boolean; keepFrames: number }
  | { cmd: 'counts' }
  | { cmd: 'arrivals' }
  | { cmd: 'frames' }
  | { cmd: 'close' }

const SEQ = Buffer.from('"seq":')
const BATCH = Buffer.from('"tt_bench_batch":')
const EVENTS = Buffer.from('{"type":"events"')

interface Client { ws: WebSocket; events: number; missed: number; arrivals: Map<number, number> }
let clients: Client[] = []
let recordArrivals = false
let keepFrames = 0
let frames: string[] = []

const wallNow = (): number => performance.timeOrigin + performance.now()

function count(buffer: Buffer, needle: Buffer): number {
  let n = 0
  for (let at = buffer.indexOf(needle); at !== -1; at = buffer.indexOf(needle, at + needle.length)) n++
  return n
}

function onFrame(client: Client, index: number, data: Buffer): void {
  const t = wallNow()
  if (data.subarray(0, EVENTS.length).equals(EVENTS)) {
    client.events += count(data, SEQ)
    if (recordArrivals) {
      for (let at = data.indexOf(BATCH); at !== -1; at = data.indexOf(BATCH, at + BATCH.length)) {
        let b = 0
        for (let i = at + BATCH.length; data[i]! >= 48 && data[i]! <= 57; i++) b = b * 10 + data[i]! - 48
        if (!client.arrivals.has(b)) client.arrivals.set(b, t)
      }
    }
    if (index === 0 && frames.length < keepFrames) frames.push(data.toString())
  } else {
    const frame = JSON.parse(data.toString()) as { type: string; missed?: number }
    if (frame.type === 'gap') client.missed += frame.missed ?? 0
  }
}

/** Opens every client, resolving once each got its first frame (the collector's hello). */
function connect(urls: readonly string[], token: string | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    let waiting = urls.length
    const opened = urls.map((url, index) => {
      const ws = new WebSocket(url, token === undefined ? [] : ['tradetrail.v1', `bearer.${token}`])
      const client: Client = { ws, events: 0, missed: 0, arrivals: new Map() }
      let first = true
      ws.on('message', (data: Buffer) => {
        if (first) {
          first = false
          if (--waiting === 0) resolve()
          if (token !== undefined) return // the hello
        }
        onFrame(client, index, data)
      })
      ws.on('error', reject)
      ws.on('close', (code, reason) => { if (clients.includes(client)) process.stderr.write(`stream client ${index} closed: ${code} ${reason.toString()}\n`) })
      return client
    })
    clients = opened
  })
}

async function handle(message: ClientCommand): Promise<unknown> {
  switch (message.cmd) {
    case 'connect':
      await connect(message.urls, message.token)
      return { clients: clients.length }
    case 'reset':
      for (const c of clients) { c.events = 0; c.missed = 0; c.arrivals.clear() }
      recordArrivals = message.arrivals
      keepFrames = message.keepFrames
      frames = []
      return {}
    case 'counts':
      return { at: wallNow(), events: clients.map((c) => c.events), missed: clients.map((c) => c.missed) }
    case 'arrivals':
      return { arrivals: clients.map((c) => [...c.arrivals]) }
    case 'frames':
      return { frames }
    case 'close': {
      const closing = clients
      clients = []
      // Cut, not closed: a close handshake would wait for megabytes of queued frames.
      await Promise.all(closing.map((c) => new Promise<void>((resolve) => {
        if (c.ws.readyState === WebSocket.CLOSED) return resolve()
        c.ws.once('close', () => resolve())
        c.ws.terminate()
      })))
      return {}
    }
  }
}

process.on('message', (message: ClientCommand) => {
  handle(message).then((reply) => process.send!({ ok: true, reply }), (error: Error) => process.send!({ ok: false, error: error.stack ?? String(error) }))
})
process.on('disconnect', () => process.exit(0))
