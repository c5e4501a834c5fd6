import { spawn } from 'node:child_process'
import { readdir } from 'node:fs/promises'
import postgres from 'postgres'
import { openPostgres } from 'fastify-outbox/postgres'
import { migrateOrderService } from '../../service/migrations.js'
import { seedStock } from '../../service/seed.js'
import { POSITION_TRIGGER_SQL } from './positions.js'

/** The shared PostgreSQL server; the run only ever creates, cuts and drops its own database. */
export const ADMIN_URL = process.env.CHAOS_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

/** The application_name the demo service's connections carry (service/main.ts). */
const SERVICE_APPLICATION = 'order-service'

/** The run's database `chaos_<run id>`: created, migrated and seeded here, dropped at the end. */
export class ChaosDatabase {
  readonly name: string
  readonly url: string
  #created = false

  constructor (runId: string) {
    this.name = `chaos_${runId}`
    const url = new URL(ADMIN_URL)
    url.pathname = `/${this.name}`
    this.url = url.toString()
  }

  /** Creates, migrates and seeds the database, then adds what only the run uses (installRunTables). */
  async create (options: { breakInbox: boolean }): Promise<void> {
    await withAdmin(async (sql) => { await sql.unsafe(`create database ${this.name}`) })
    this.#created = true
    const handle = openPostgres({ url: this.url, max: 2, applicationName: 'chaos-setup' })
    try {
      await migrateOrderService(handle)
      await seedStock(handle.db)
    } finally {
      await handle.close()
    }
    await installRunTables(this.url, options)
  }

  /** Terminates the service's connections to this database; resolves with how many. */
  async cutConnections (): Promise<number> {
    return await withAdmin(async (sql) => {
      const [row] = await sql<Array<{ cut: number }>>`
        select count(*)::int as cut from (
          select pg_terminate_backend(pid) from pg_stat_activity
          where application_name = ${SERVICE_APPLICATION} and datname = ${this.name}) t`
      return row?.cut ?? 0
    })
  }

  /**
   * A database outage for this database only: new connections refused (ALLOW_CONNECTIONS false,
   * superusers included) and the service's connections cut, for `ms`. What a PostgreSQL restart
   * or failover looks like to the services, without touching the other databases of the server.
   */
  async outage (ms: number): Promise<number> {
    await withAdmin(async (sql) => { await sql.unsafe(`alter database ${this.name} allow_connections false`) })
    try {
      const cut = await this.cutConnections()
      await new Promise((resolve) => setTimeout(resolve, ms))
      return cut
    } finally {
      await withAdmin(async (sql) => { await sql.unsafe(`alter database ${this.name} allow_connections true`) })
    }
  }

  /** Drops the database, whoever is still connected (PostgreSQL 13+ FORCE). Idempotent. */
  async drop (): Promise<void> {
    if (!this.#created) return
    await withAdmin(async (sql) => { await sql.unsafe(`drop database if exists ${this.name} with (force)`) })
    this.#created = false
  }
}

/**
 * What only the run uses, in a migrated database: the ledger consumer's table
 * (instance/ledger-consumer.ts) and the trigger that stamps each outbox row with its key's
 * position (positions.ts). `breakInbox` (the mutation run) drops the inbox's primary key: every
 * redelivery then looks new and is applied again.
 */
export async function installRunTables (url: string, options: { breakInbox: boolean }): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connection: { application_name: 'chaos-setup' } })
  try {
    // No unique key on purpose: only the inbox keeps an event from being appended twice.
    await sql.unsafe(`create table chaos_ledger (
      id bigserial primary key, event_id text not null, event_type text not null, partition_key text,
      position int, instance text not null, pid int not null, applied_at timestamptz not null default clock_timestamp())`)
    await sql.unsafe(POSITION_TRIGGER_SQL)
    if (options.breakInbox) {
      const [key] = await sql<Array<{ name: string }>>`select conname as name from pg_constraint where conrelid = 'inbox'::regclass and contype = 'p'`
      if (key === undefined) throw new Error('--break-inbox: the inbox table has no primary key to drop')
      await sql.unsafe(`alter table inbox drop constraint ${key.name}`)
    }
  } finally {
    await sql.end({ timeout: 5 })
  }
}

/**
 * Restarts the whole PostgreSQL cluster (opt-in, --pg-restart): every other database on the
 * server goes down with it for a few seconds, so it is never part of the default run.
 */
export async function restartPostgresServer (): Promise<number> {
  const started = Date.now()
  const versions = await readdir('/etc/postgresql')
  if (versions.length !== 1) throw new Error(`expected one PostgreSQL version in /etc/postgresql, found ${versions.join(', ') || 'none'}`)
  await new Promise<void>((resolve, reject) => {
    const child = spawn('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0]!, 'main', 'restart'], { stdio: 'ignore' })
    child.once('error', reject)
    child.once('exit', (code) => code === 0 ? resolve() : reject(new Error(`pg_ctlcluster restart exited with ${code}`)))
  })
  return (Date.now() - started) / 1000
}

async function withAdmin<T> (work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(ADMIN_URL, { max: 1, onnotice: () => {}, connection: { application_name: 'chaos-admin' } })
  try {
    return await work(sql)
  } finally {
    await sql.end({ timeout: 5 })
  }
}
