/**
 * Connections that have not yet made an authenticated request, capped per remote address and
 * overall, so that idle or slow connections without a token cannot take the slots of
 * maxConnections that producers need. A connection waits here from its accept until its first
 * request with a valid token (then it is trusted for its life), or until it closes.
 *
 * A new connection is always let in; at a cap an older waiting one is closed instead: the
 * newest is the one most likely to be a producer about to send its request, the oldest has had
 * the longest to send one. At the per-address cap it is the oldest of the same address; at the
 * overall cap, the oldest of the address with the most waiting, so one busy address cannot push
 * out the others.
 */
import type { Socket } from 'node:net'

export interface ConnectionGateLimits {
  /** Most waiting connections from one remote address. */
  perAddress: number
  /** Most waiting connections in all. */
  overall: number
}

interface Waiting {
  socket: Socket
  address: string
}

export class ConnectionGate {
  readonly #limits: ConnectionGateLimits
  readonly #onClose: () => void
  /** Waiting connections by `address port`, oldest first. */
  readonly #waiting = new Map<string, Waiting>()
  /** The keys of `#waiting` by remote address, oldest first. */
  readonly #byAddress = new Map<string, Set<string>>()
  /** Sockets seen with a valid token: after their first request the check is one lookup here. */
  readonly #trusted = new WeakSet<Socket>()

  /** `onClose` is called for each connection closed to make room. */
  constructor(limits: ConnectionGateLimits, onClose: () => void = () => {}) {
    this.#limits = limits
    this.#onClose = onClose
  }

  /** Connections waiting for an authenticated request. */
  get size(): number {
    return this.#waiting.size
  }

  /** Takes a newly accepted connection (the TCP socket, under TLS too), closing an older waiting one at a cap. */
  admit(socket: Socket): void {
    const address = socket.remoteAddress
    if (address === undefined) return // already closed
    const own = this.#byAddress.get(address)
    if (own !== undefined && own.size >= this.#limits.perAddress) this.#close(first(own))
    else if (this.#waiting.size >= this.#limits.overall) this.#close(first(this.#busiest()))
    const key = keyOf(socket)
    this.#waiting.set(key, { socket, address })
    let keys = this.#byAddress.get(address)
    if (keys === undefined) this.#byAddress.set(address, (keys = new Set()))
    keys.add(key)
    socket.once('close', () => this.#forget(key))
  }

  /**
   * Marks the connection of a request that carried a valid token: it stops counting. `socket`
   * is the request's socket; under TLS the TLS socket, found by its address and port.
   */
  trust(socket: Socket): void {
    if (this.#trusted.has(socket)) return
    this.#trusted.add(socket)
    this.#forget(keyOf(socket))
  }

  #close(key: string): void {
    const waiting = this.#waiting.get(key)!
    this.#forget(key)
    waiting.socket.destroy()
    this.#onClose()
  }

  #forget(key: string): void {
    const waiting = this.#waiting.get(key)
    if (waiting === undefined) return
    this.#waiting.delete(key)
    const keys = this.#byAddress.get(waiting.address)!
    keys.delete(key)
    if (keys.size === 0) this.#byAddress.delete(waiting.address)
  }

  #busiest(): Set<string> {
    let busiest: Set<string> | undefined
    for (const keys of this.#byAddress.values()) if (busiest === undefined || keys.size > busiest.size) busiest = keys
    return busiest!
  }
}

const keyOf = (socket: Socket): string => `${socket.remoteAddress} ${socket.remotePort}`
const first = (keys: Set<string>): string => keys.values().next().value!
