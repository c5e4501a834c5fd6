import { createServer, Socket, type Server } from 'node:net'

/**
 * A TCP proxy on loopback that the chaos run puts between the services and the broker, and
 * between the services and PostgreSQL, to break the network on purpose:
 * - latency: every chunk, in each direction, waits this long (± jitter) before it is passed on,
 *   in order;
 * - reset: every open connection is ended with an RST, both sides, mid-stream;
 * - drop: every open connection is closed (FIN) both sides, mid-stream, without a word;
 * - partition: nothing passes either way, on open connections or new ones (accepted and held), for
 *   as long as it lasts: clients see silence, not an error, until their own timeouts fire. When it
 *   heals, what was held flows on, as TCP would retransmit it, on the connections still open.
 * Only loopback: it listens on 127.0.0.1 and forwards to a local port.
 */
export class FaultProxy {
  readonly name: string
  readonly #target: { host: string, port: number }
  readonly #server: Server
  readonly #links = new Set<Link>()
  #latency = { ms: 0, jitterMs: 0 }
  #partitioned = false
  #port = 0

  private constructor (name: string, target: { host: string, port: number }) {
    this.name = name
    this.#target = target
    this.#server = createServer({ noDelay: true }, (client) => this.#accept(client))
  }

  /** A proxy to `target` on a free loopback port, listening. */
  static async start (name: string, target: { host: string, port: number }): Promise<FaultProxy> {
    const proxy = new FaultProxy(name, target)
    await new Promise<void>((resolve, reject) => {
      proxy.#server.once('error', reject)
      proxy.#server.listen(0, '127.0.0.1', () => resolve())
    })
    proxy.#port = (proxy.#server.address() as { port: number }).port
    return proxy
  }

  get port (): number {
    return this.#port
  }

  /** Connections open now. */
  get connections (): number {
    return this.#links.size
  }

  /** The URL `url` becomes when its host and port are this proxy's. */
  rewrite (url: string): string {
    const rewritten = new URL(url)
    rewritten.hostname = '127.0.0.1'
    rewritten.port = String(this.#port)
    return rewritten.toString().replace(/\/$/, url.endsWith('/') ? '/' : '')
  }

  setLatency (ms: number, jitterMs = 0): void {
    this.#latency = { ms, jitterMs }
  }

  /** Ends every open connection with an RST; returns how many. */
  resetAll (): number {
    const n = this.#links.size
    for (const link of [...this.#links]) link.close('reset')
    return n
  }

  /** Closes every open connection (FIN) both ways; returns how many. */
  dropAll (): number {
    const n = this.#links.size
    for (const link of [...this.#links]) link.close('drop')
    return n
  }

  /** Stops everything passing, both ways, until heal(). */
  partition (): void {
    this.#partitioned = true
  }

  heal (): void {
    this.#partitioned = false
    for (const link of this.#links) link.release()
  }

  async close (): Promise<void> {
    for (const link of [...this.#links]) link.close('drop')
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  #accept (client: Socket): void {
    const link = new Link(client, this.#target, () => this.#latencyNow(), () => this.#partitioned, () => this.#links.delete(link))
    this.#links.add(link)
  }

  #latencyNow (): number {
    const { ms, jitterMs } = this.#latency
    return ms === 0 && jitterMs === 0 ? 0 : Math.max(0, ms + (Math.random() * 2 - 1) * jitterMs)
  }
}

/** One proxied connection: the client's socket, the upstream one, and what waits between them. */
class Link {
  readonly #client: Socket
  readonly #upstream: Socket
  readonly #toUpstream: Pipe
  readonly #toClient: Pipe
  readonly #onClosed: () => void
  #closed = false

  constructor (client: Socket, target: { host: string, port: number }, latency: () => number, partitioned: () => boolean, onClosed: () => void) {
    this.#client = client
    this.#onClosed = onClosed
    this.#upstream = new Socket()
    this.#toUpstream = new Pipe(this.#upstream, latency, partitioned)
    this.#toClient = new Pipe(client, latency, partitioned)
    client.setNoDelay(true)
    client.on('data', (chunk: Buffer) => this.#toUpstream.push(chunk))
    this.#upstream.on('data', (chunk: Buffer) => this.#toClient.push(chunk))
    // Either side ending ends the other: the proxy never holds a half-dead connection open.
    for (const socket of [client, this.#upstream]) {
      socket.on('error', () => this.close('drop'))
      socket.on('close', () => this.close('drop'))
    }
    // Connecting upstream is traffic too: during a partition it waits for the heal.
    this.#toUpstream.whenOpen(() => {
      this.#upstream.connect(target.port, target.host, () => this.#upstream.setNoDelay(true))
    })
  }

  release (): void {
    this.#toUpstream.release()
    this.#toClient.release()
  }

  close (how: 'reset' | 'drop'): void {
    if (this.#closed) return
    this.#closed = true
    this.#toUpstream.discard()
    this.#toClient.discard()
    for (const socket of [this.#client, this.#upstream]) {
      if (how === 'reset' && !socket.destroyed && socket.readyState !== 'opening') socket.resetAndDestroy()
      else socket.destroy()
    }
    this.#onClosed()
  }
}

/** One direction of a link: chunks wait their latency (in order) and any partition, then go out. */
class Pipe {
  readonly #out: Socket
  readonly #latency: () => number
  readonly #partitioned: () => boolean
  readonly #queue: Array<{ due: number, chunk: Buffer | null, run?: () => void }> = []
  #timer: NodeJS.Timeout | null = null
  #lastDue = 0

  constructor (out: Socket, latency: () => number, partitioned: () => boolean) {
    this.#out = out
    this.#latency = latency
    this.#partitioned = partitioned
  }

  push (chunk: Buffer): void {
    this.#enqueue({ due: 0, chunk })
  }

  /** Runs `open` when this direction may pass traffic (now, or after the partition and latency). */
  whenOpen (open: () => void): void {
    this.#enqueue({ due: 0, chunk: null, run: open })
  }

  release (): void {
    this.#flush()
  }

  discard (): void {
    this.#queue.length = 0
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  #enqueue (item: { due: number, chunk: Buffer | null, run?: () => void }): void {
    // Never before the chunk ahead of it: latency with jitter must not reorder a byte stream.
    item.due = Math.max(this.#lastDue, performance.now() + this.#latency())
    this.#lastDue = item.due
    this.#queue.push(item)
    this.#flush()
  }

  #flush (): void {
    if (this.#timer !== null) return
    while (this.#queue.length > 0 && !this.#partitioned()) {
      const wait = this.#queue[0]!.due - performance.now()
      if (wait > 0) {
        this.#timer = setTimeout(() => { this.#timer = null; this.#flush() }, wait)
        return
      }
      const item = this.#queue.shift()!
      if (item.run !== undefined) item.run()
      else if (!this.#out.destroyed) this.#out.write(item.chunk!)
    }
  }
}
