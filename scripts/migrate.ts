/**
 * Applies the Drizzle migrations in drizzle/ to DATABASE_URL (the one-shot migration job of
 * docker compose, and `npm run migrate`). Safe to run from several places at once: migrations
 * are serialised by an advisory lock.
 */
import { fileURLToPath } from 'node:url'
import { openPostgres } from '../plugin/database/postgres-js.js'

const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url))

async function main (): Promise<void> {
  const url = process.env.DATABASE_URL
  if (url === undefined || url.trim() === '') {
    throw new Error('DATABASE_URL is not set: give postgres://user:password@host:5432/database (the embedded demo migrates itself at start)')
  }
  const database = openPostgres({ url, applicationName: 'fastify-outbox-migrate', max: 2 })
  try {
    await database.migrate(MIGRATIONS_FOLDER)
    console.log(`Migrations in drizzle/ applied to ${database.description}`)
  } finally {
    await database.close()
  }
}

main().catch((err: unknown) => {
  console.error(`Migration failed: ${err instanceof Error ? err.message : String(err)}`)
  process.exit(1)
})
