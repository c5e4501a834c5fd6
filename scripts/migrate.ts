/**
 * Prepares DATABASE_URL for the demo order service (the one-shot migration job of docker
 * compose, and `npm run migrate`): the library's migrations (drizzle/: outbox and inbox), then
 * the demo's (service/drizzle/: orders, stock, reservations), each set with its own bookkeeping
 * table. Safe to run from several places at once: migrations are serialised by an advisory lock.
 */
import { openPostgres } from 'fastify-outbox/postgres'
import { migrateOrderService } from '../service/migrations.js'

async function main (): Promise<void> {
  const url = process.env.DATABASE_URL
  if (url === undefined || url.trim() === '') {
    throw new Error('DATABASE_URL is not set: give postgres://user:password@host:5432/database (the embedded demo migrates itself at start)')
  }
  const database = openPostgres({ url, applicationName: 'fastify-outbox-migrate', max: 2 })
  try {
    await migrateOrderService(database)
    console.log(`Migrations applied to ${database.description}: drizzle/ (outbox, inbox), then service/drizzle/ (the demo's tables)`)
  } finally {
    await database.close()
  }
}

main().catch((err: unknown) => {
  console.error(`Migration failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
