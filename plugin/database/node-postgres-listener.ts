import { backoffDelay } from '../time/backoff.js'
import type { ListenHandlers, Unlisten } from './notifications.js'

/** The parts of a pg.Client used here. */
interface NodePostgresConnection {
  connect (): Promise<unknown>
  query (text: string): Promise<unknown>
  end (): Promise<void>
  on (event: 'notification', listener: (message: { channel: string }) => void): unknown
  on (event: 'error', listener: (err: Error) => void): unknown
  on (event: 'end', listener: () => void): unknown
}

/** The parts of a pg.Pool used here: the Client class it makes its connections with, and its options. */
export interface NodePostgresPool {
  readonly Client: new (options: unknown) => NodePostgresConnection
  readonly options: unknown
}

/**
 * LISTEN through a node-postgres pool. A pooled connection cannot hold it (it goes back to the
 * pool, and the LISTEN with it), so the listener makes a connection of its own the way the pool
 * makes its connections (`new pool.Client(pool.options)`): the library never loads `pg` itself.
 *
 * Resolves once listening, or rejects when the first connection cannot be made. A connection
 * lost later is replaced, retried with capped backoff, and LISTEN issued again; `onListen` runs
 * each time, as with postgres-js.
 */
export async function listenOnNodePostgresPool (pool: NodePostgresPool, channel: string, handlers: ListenHandlers): Promise<Unlisten> {
  const listener = new NodePostgresListener(pool, channel, handlers)
  await listener.start()
  return async () => { await listener.stop() }
}

class NodePostgresListener {
  readonly #pool: NodePostgresPool
  readonly #channel: string
  readonly #handlers: ListenHandlers
  #connection: NodePostgresConnection | null = null
  #retry: NodeJS.Timeout | null = null
  #failedAttempts = 0
  #stopped = false

  constructor (pool: NodePostgresPool, channel: string, handlers: ListenHandlers) {
    this.#pool = pool
    this.#channel = channel
    this.#handlers = handlers
  }

  async start (): Promise<void> {
    this.#connection = await this.#connect()
    this.#handlers.onListen()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    if (this.#retry !== null) clearTimeout(this.#retry)
    this.#retry = null
    const connection = this.#connection
    this.#connection = null
    await connection?.end()
  }

  /** A new connection, listening. Events of a connection that failed before it was listening are its caller's to handle (the promise rejects). */
  async #connect (): Promise<NodePostgresConnection> {
    const connection = new this.#pool.Client(this.#pool.options)
    let listening = false
    let lostEarly: Error | null = null
    const onLost = (err: Error | null): void => {
      if (listening) this.#lost(connection, err)
      else lostEarly ??= err ?? new Error('the connection ended')
    }
    // Without an 'error' listener, a connection lost while idle would crash the process.
    connection.on('error', (err) => onLost(err))
    connection.on('end', () => onLost(null))
    connection.on('notification', (message) => { if (message.channel === this.#channel) this.#handlers.onNotify() })
    try {
      await connection.connect()
      await connection.query(`LISTEN ${quoteIdentifier(this.#channel)}`)
      if (lostEarly !== null) throw lostEarly
    } catch (err) {
      await connection.end().catch(() => {})
      throw err
    }
    listening = true
    return connection
  }

  #lost (connection: NodePostgresConnection, err: Error | null): void {
    if (this.#stopped || connection !== this.#connection) return
    this.#connection = null
    connection.end().catch(() => {})
    this.#handlers.onConnectionError(err ?? new Error('the LISTEN connection ended'))
    this.#scheduleReconnect()
  }

  #scheduleReconnect (): void {
    const delay = backoffDelay(this.#failedAttempts++)
    this.#retry = setTimeout(() => {
      this.#retry = null
      void this.#reconnect()
    }, delay)
    // Polling relays everything meanwhile; a pending retry must not keep the process alive.
    this.#retry.unref()
  }

  async #reconnect (): Promise<void> {
    if (this.#stopped) return
    let connection: NodePostgresConnection
    try {
      connection = await this.#connect()
    } catch (err) {
      if (this.#stopped) return
      this.#handlers.onConnectionError(err)
      this.#scheduleReconnect()
      return
    }
    if (this.#stopped) {
      await connection.end().catch(() => {})
      return
    }
    this.#connection = connection
    this.#failedAttempts = 0
    this.#handlers.onListen()
  }
}

/** The channel as a quoted identifier: LISTEN takes no parameters. */
function quoteIdentifier (name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
