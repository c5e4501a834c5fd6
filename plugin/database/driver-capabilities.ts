import type { Query } from 'drizzle-orm'
import type { OutboxDatabase } from './database.js'
import { listenOnNodePostgresPool, type NodePostgresPool } from './node-postgres-listener.js'
import { listenOnPGlite, listenOnPostgresJs, type Listen, type PGliteClient, type PostgresJsClient } from './notifications.js'

/**
 * What the driver under a Drizzle database can do beyond plain Drizzle, found once per database.
 *
 * The only module that looks at the driver (`db.$client`) or at Drizzle's private session
 * (`db._.session`): a driver or Drizzle upgrade that changes either breaks here, in one place,
 * and each capability then falls back to plain Drizzle (or polling) rather than misbehave.
 */
export interface DriverCapabilities {
  /** The driver, as recognised from `db.$client`; "unknown" gets the plain paths. */
  readonly driver: DatabaseDriver
  /** False when the fast paths were turned off (`driverFastPaths: false`): every capability below is null. */
  readonly fastPaths: boolean
  /** Lets a transaction's last statement travel with its COMMIT; null: each statement is awaited. */
  readonly commitPipeline: CommitPipeline | null
  /** Runs the outbox INSERT, built once, as a named prepared statement; null: `db.insert(...).values(...)`. */
  readonly preparedInsert: PreparedInsert | null
  /** LISTEN on a channel; null: the projector relies on in-process wake-ups and polling. */
  readonly listen: Listen | null
}

export type DatabaseDriver = 'postgres-js' | 'pglite' | 'node-postgres-pool' | 'node-postgres-client' | 'unknown'

export interface CommitPipeline {
  /**
   * Resolves once every statement already issued has been handed to the driver: the INSERT's
   * way from Drizzle to the connection's queue is a chain of promise jobs, all run before a
   * setImmediate callback. postgres-js's own write flush is also a setImmediate, queued after
   * this one, so the INSERT and the COMMIT usually leave in a single write.
   */
  handedToDriver (): Promise<void>
}

/** An INSERT with its name: the driver prepares it once per connection under that name (or ignores the name). */
export interface NamedInsert extends Query {
  readonly name: string
  /** The table it writes, for Drizzle's query cache invalidation. */
  readonly table: string
}

export interface PreparedInsert {
  /**
   * Runs `query` on `db` (the database or one of its transactions). False when `db` has no
   * session of the expected shape (a transaction of some other database): run it otherwise.
   */
  run (db: OutboxDatabase, insert: NamedInsert): Promise<boolean>
}

export interface CapabilityOptions {
  /** False: plain Drizzle statements and polling, whatever the driver can do. Default true. */
  fastPaths?: boolean
}

type DrizzleSession = OutboxDatabase['_']['session']

const detected = new WeakMap<OutboxDatabase, DriverCapabilities>()

/** The capabilities of `db`'s driver, detected on first use and kept for the database's lifetime. */
export function driverCapabilities (db: OutboxDatabase, options: CapabilityOptions = {}): DriverCapabilities {
  let capabilities = detected.get(db)
  if (capabilities === undefined) detected.set(db, capabilities = detect(db))
  if (options.fastPaths === false) return { driver: capabilities.driver, fastPaths: false, commitPipeline: null, preparedInsert: null, listen: null }
  return capabilities
}

function detect (db: OutboxDatabase): DriverCapabilities {
  const client = (db as { $client?: unknown }).$client
  const driver = recognise(client)
  return {
    driver,
    fastPaths: true,
    commitPipeline: driver === 'postgres-js' ? { handedToDriver } : null,
    preparedInsert: canPrepare(sessionOf(db)) ? { run: runPreparedInsert } : null,
    listen: listenOn(driver, client)
  }
}

function recognise (client: unknown): DatabaseDriver {
  if (client === null || typeof client !== 'object' && typeof client !== 'function') return 'unknown'
  const has = (name: string): boolean => typeof (client as Record<string, unknown>)[name] === 'function'
  // postgres-js: the client is a tagged-template function with begin (transactions) and reserve
  // (a dedicated connection); `options` tells it from look-alikes.
  if (typeof client === 'function' && has('begin') && has('reserve') && has('listen') && 'options' in client) return 'postgres-js'
  if (has('listen') && has('exec') && 'waitReady' in client) return 'pglite'
  // node-postgres: a pg.Pool carries the Client class it makes connections with; a pg.Client is one connection.
  if (has('connect') && has('query') && has('Client') && 'options' in client) return 'node-postgres-pool'
  if (has('connect') && has('query') && 'connectionParameters' in client) return 'node-postgres-client'
  return 'unknown'
}

/**
 * Only postgres-js gains from pipelining: its transaction runs its statements in order on one
 * connection, in a queue fed as they are issued, so the INSERT handed over before the callback
 * returns is ahead of the COMMIT the driver sends after it. node-postgres keeps the order too,
 * but sends a query only after the previous one answered, so there is nothing to gain there.
 */
async function handedToDriver (): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve))
}

function listenOn (driver: DatabaseDriver, client: unknown): Listen | null {
  switch (driver) {
    case 'postgres-js': return async (channel, handlers) => await listenOnPostgresJs(client as PostgresJsClient, channel, handlers)
    case 'pglite': return async (channel, handlers) => await listenOnPGlite(client as PGliteClient, channel, handlers)
    case 'node-postgres-pool': return async (channel, handlers) => await listenOnNodePostgresPool(client as NodePostgresPool, channel, handlers)
    // A single pg.Client runs every query of the application: LISTEN would need a connection of
    // its own, which only a pool can make. Polling instead.
    case 'node-postgres-client': return null
    case 'unknown': return null
  }
}

/** Drizzle's session of a database or transaction (private API: `db._.session`), or null. */
function sessionOf (db: OutboxDatabase): DrizzleSession | null {
  const session = (db as { _?: { session?: unknown } })._?.session
  return session !== null && typeof session === 'object' && typeof (session as DrizzleSession).prepareQuery === 'function'
    ? session as DrizzleSession
    : null
}

/**
 * The session's prepareQuery has the shape the prepared INSERT relies on: it builds (without
 * running anything) a prepared query that can be executed. Each of Drizzle's PostgreSQL drivers
 * only constructs an object there; a changed signature throws or returns something else.
 */
function canPrepare (session: DrizzleSession | null): boolean {
  if (session === null) return false
  try {
    const probe: unknown = session.prepareQuery({ sql: 'select 1', params: [] }, undefined, undefined, false)
    return probe !== null && typeof probe === 'object' && typeof (probe as { execute?: unknown }).execute === 'function'
  } catch {
    return false
  }
}

async function runPreparedInsert (db: OutboxDatabase, insert: NamedInsert): Promise<boolean> {
  const session = sessionOf(db)
  if (session === null) return false
  await session.prepareQuery({ sql: insert.sql, params: insert.params }, undefined, insert.name, false, undefined, { type: 'insert', tables: [insert.table] }).execute()
  return true
}
