import { randomBytes } from 'node:crypto'
import { drizzle as drizzleNodePostgres } from 'drizzle-orm/node-postgres'
import { migrate as migrateNodePostgres } from 'drizzle-orm/node-postgres/migrator'
import pg from 'pg'
import postgres from 'postgres'
import tap, { type Test } from 'tap'
import { sql } from 'drizzle-orm'
import type { DatabaseHandle } from '../../plugin/database/handle.js'
import { openEmbedded } from '../../plugin/database/pglite.js'
import { openPostgres } from '../../plugin/database/postgres-js.js'
import { outboxMigrations } from './library.js'
import { migrateOrderService } from '../../service/migrations.js'

/** The server tests create their databases on; override with TEST_DATABASE_URL. */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export type DatabaseKind = 'postgres' | 'pglite'
export const DATABASE_KINDS: readonly DatabaseKind[] = ['postgres', 'pglite']

export interface FreshDatabaseOptions {
  /** Pool size on the server; default 10. */
  max?: number
  /** Also the demo order service's tables; default only the library's (outbox, inbox). */
  orderService?: boolean
}

async function applyMigrations (handle: DatabaseHandle, options: FreshDatabaseOptions): Promise<void> {
  if (options.orderService === true) await migrateOrderService(handle)
  else await handle.migrate(outboxMigrations)
}

export interface TestDatabase extends DatabaseHandle {
  /** Connection URL of the fresh database (postgres only). */
  readonly url: string | null
}

let sharedPGlite: Promise<DatabaseHandle> | null = null

/**
 * Starting PGlite costs one to several seconds (WebAssembly), so a test file keeps one instance
 * and each test gets it back empty: both schemas dropped, migrations applied again (~50 ms).
 * It lives in this process only, so test files never share it.
 */
async function emptiedPGlite (options: FreshDatabaseOptions): Promise<TestDatabase> {
  if (sharedPGlite === null) {
    sharedPGlite = openEmbedded()
    const opened = sharedPGlite
    tap.teardown(async () => { await (await opened).close() })
  }
  const handle = await sharedPGlite
  await handle.db.execute(sql`drop schema if exists public cascade`)
  await handle.db.execute(sql`drop schema if exists drizzle cascade`)
  await handle.db.execute(sql`create schema public`)
  await applyMigrations(handle, options)
  return { ...handle, db: handle.db, url: null, close: async () => {} }
}

/**
 * A fresh, migrated database for one test, dropped when the test ends. On the real server each
 * test gets a database of its own (not just a schema): parallel test files and LISTEN channels
 * never meet.
 */
export async function freshDatabase (t: Test, kind: DatabaseKind, options: FreshDatabaseOptions = {}): Promise<TestDatabase> {
  if (kind === 'pglite') return await emptiedPGlite(options)
  const server = await serverDatabase()
  const handle = openPostgres({ url: server.url, max: options.max ?? 10, applicationName: 'fastify-outbox-test' })
  await applyMigrations(handle, options)
  t.teardown(async () => {
    await handle.close()
    await server.drop()
  })
  return Object.assign(handle, { url: server.url })
}

/**
 * As freshDatabase on the server, through node-postgres: `drizzle(new pg.Pool(...))`, as many
 * Drizzle users run it. The library has no connector for it (a user brings the pool), so the
 * handle is made here; its kind is "postgres" (a server).
 */
export async function freshNodePostgresDatabase (t: Test, options: FreshDatabaseOptions = {}): Promise<TestDatabase & { pool: pg.Pool }> {
  const server = await serverDatabase()
  const pool = new pg.Pool({ connectionString: server.url, max: options.max ?? 10, application_name: 'fastify-outbox-test' })
  const db = drizzleNodePostgres(pool)
  const handle: DatabaseHandle = {
    db,
    kind: 'postgres',
    description: `node-postgres ${server.url}`,
    async migrate (migrations) { await migrateNodePostgres(db, migrations) },
    async close () { await pool.end() }
  }
  await applyMigrations(handle, options)
  t.teardown(async () => {
    await handle.close()
    await server.drop()
  })
  return { ...handle, url: server.url, pool }
}

/** A database of its own on the server, and how to drop it (its connections closed first, or forced). */
async function serverDatabase (): Promise<{ url: string, drop: () => Promise<void> }> {
  const name = `fo_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  try {
    await admin.unsafe(`create database ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop () {
      const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
      try {
        await cleanup.unsafe(`drop database if exists ${name} with (force)`)
      } finally {
        await cleanup.end()
      }
    }
  }
}
