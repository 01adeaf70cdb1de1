/** A local HTTP receiver on port 0 that records every request and answers with the status it is set to (Slack, Discord and webhook stand-ins). */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { Hooks } from '@tradetrail/test-support'

export interface Received {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
}

export interface Receiver {
  readonly url: string
  readonly port: number
  readonly requests: Received[]
  /** The status it answers with (default 200); a taken request (2xx) goes to `taken`. */
  status: number
  /** Requests it answered 2xx, in order. */
  readonly taken: Received[]
  /** Stops listening (the port refuses connections) until `listen` again. */
  stop(): Promise<void>
  listen(): Promise<void>
}

export async function startReceiver(owner: Hooks, port = 0): Promise<Receiver> {
  let server: Server | undefined
  const receiver = {
    url: '', port, requests: [] as Received[], taken: [] as Received[], status: 200,
    async listen() {
      server = createServer((req, res) => {
        let body = ''
        req.setEncoding('utf8')
        req.on('data', (chunk: string) => { body += chunk })
        req.on('end', () => {
          const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body }
          receiver.requests.push(r)
          if (receiver.status >= 200 && receiver.status < 300) receiver.taken.push(r)
          res.writeHead(receiver.status, { 'content-type': 'text/plain' }).end(receiver.status < 300 ? 'ok' : 'down')
        })
      })
      await new Promise<void>((resolve) => server!.listen(receiver.port, '127.0.0.1', resolve))
      const address = server.address()
      receiver.port = typeof address === 'object' && address !== null ? address.port : receiver.port
      receiver.url = `http://127.0.0.1:${receiver.port}`
    },
    async stop() {
      const s = server
      server = undefined
      if (s === undefined) return
      s.closeAllConnections()
      await new Promise<void>((resolve) => s.close(() => resolve()))
    },
  }
  await receiver.listen()
  owner.after(() => receiver.stop())
  return receiver
}
