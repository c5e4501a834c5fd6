import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import { migrate } from 'drizzle-orm/postgres-js/migrator'
import postgres from 'postgres'
import type { DatabaseHandle } from './handle.js'
import { InvalidOptionsError } from '../errors.js'
import { explainDatabaseError } from './database-errors.js'

export interface PostgresOptions {
  /** postgres://user:password@host:port/database */
  url: string
  /** Pool size; default 10. */
  max?: number
  /** Shown in pg_stat_activity; default "fastify-outbox". */
  applicationName?: string
}

/** Key of the advisory lock that serialises migrations when several instances start at once. */
const MIGRATION_LOCK_KEY = 7_311_522_114

/** Opens a PostgreSQL server through postgres-js, the driver this library is tuned for. */
export function openPostgres (options: PostgresOptions): DatabaseHandle<PostgresJsDatabase> {
  const url = parseDatabaseUrl(options.url)
  const client = postgres(options.url, {
    max: options.max ?? 10,
    // Migrations say "already exists, skipping" as NOTICEs: not worth a log line.
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'fastify-outbox' }
  })
  const db = drizzle(client)
  const description = `postgres://${url.host}${url.pathname}`
  return {
    db,
    kind: 'postgres',
    description,
    async migrate (migrations) {
      // Two instances starting together must not both create the tables.
      const lock = await client.reserve().catch((err: unknown) => { throw explainDatabaseError(err, description) })
      try {
        await lock`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`
        await migrate(db, migrations)
      } finally {
        await lock`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.catch(() => {})
        lock.release()
      }
    },
    async close () {
      await client.end({ timeout: 5 })
    }
  }
}

function parseDatabaseUrl (value: string): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new InvalidOptionsError(`DATABASE_URL is not a URL: give postgres://user:password@host:5432/database`)
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new InvalidOptionsError(`DATABASE_URL must start with postgres:// or postgresql://, got ${url.protocol}//`)
  }
  return url
}

export type { DatabaseHandle } from './handle.js'
