import { randomBytes } from 'node:crypto'
import postgres from 'postgres'
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js'
import type { DatabaseHandle } from 'fastify-outbox/postgres'
import { openPostgres } from 'fastify-outbox/postgres'
import { migrateOrderService } from '../../service/migrations.js'

/** The server the benchmarks create their databases on; override with BENCH_DATABASE_URL. */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export interface BenchDatabase {
  readonly name: string
  readonly url: string
  /** Opens a pool on the database (closed by drop() if still open). */
  open (max?: number, applicationName?: string): DatabaseHandle<PostgresJsDatabase>
  /** Closes the pools it opened and drops the database (force: child processes may still hold connections). */
  drop (): Promise<void>
}

async function admin<T> (adminUrl: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} })
  try {
    return await work(sql)
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/** Databases created and not yet dropped (name → its server's admin URL): the runner drops them if it is interrupted. */
const live = new Map<string, string>()

/** Drops every database this process created and has not dropped yet (on SIGINT/SIGTERM). */
export async function dropLiveDatabases (): Promise<void> {
  await Promise.allSettled([...live].map(async ([name, adminUrl]) => await admin(adminUrl, async (sql) => await sql.unsafe(`drop database if exists ${name} with (force)`))))
  live.clear()
}

/** A fresh database `bench_<random>` on the server of `adminUrl` (default BENCH_DATABASE_URL's) with the outbox, the inbox and the demo's tables. */
export async function createBenchDatabase (adminUrl = ADMIN_URL): Promise<BenchDatabase> {
  const name = `bench_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`
  await admin(adminUrl, async (sql) => await sql.unsafe(`create database ${name}`))
  live.set(name, adminUrl)
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const handles = new Set<DatabaseHandle>()
  const database: BenchDatabase = {
    name,
    url: url.toString(),
    open (max = 10, applicationName = 'fastify-outbox-bench') {
      const handle = openPostgres({ url: url.toString(), max, applicationName })
      const close = handle.close.bind(handle)
      handle.close = async () => {
        handles.delete(handle)
        await close()
      }
      handles.add(handle)
      return handle
    },
    async drop () {
      await Promise.allSettled([...handles].map(async (handle) => await handle.close()))
      await admin(adminUrl, async (sql) => await sql.unsafe(`drop database if exists ${name} with (force)`))
      live.delete(name)
    }
  }
  try {
    // Two connections: migrate() holds one for its advisory lock and migrates on another.
    const handle = database.open(2)
    await migrateOrderService(handle)
    await handle.close()
  } catch (err) {
    await database.drop().catch(() => {})
    throw err
  }
  return database
}

/** Runs `work` on a fresh database and always drops it afterwards. */
export async function withBenchDatabase<T> (work: (database: BenchDatabase) => Promise<T>, adminUrl = ADMIN_URL): Promise<T> {
  const database = await createBenchDatabase(adminUrl)
  try {
    return await work(database)
  } finally {
    await database.drop()
  }
}
