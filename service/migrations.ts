import { fileURLToPath } from 'node:url'
import type { MigrationConfig } from 'drizzle-orm/migrator'
import { outboxMigrations } from 'fastify-outbox'
import type { DatabaseHandle } from 'fastify-outbox/postgres'

/** The demo's own tables (orders, stock, reservations), generated from service/schema.ts. */
export const orderServiceMigrations: Readonly<Required<MigrationConfig>> = Object.freeze({
  migrationsFolder: fileURLToPath(new URL('./drizzle', import.meta.url)),
  // Apart from the library's: each set is applied by its own bookkeeping.
  migrationsTable: '__order_service_migrations',
  migrationsSchema: 'drizzle'
})

/** Everything the demo needs in its database: the library's outbox and inbox, then its own tables. */
export async function migrateOrderService (database: DatabaseHandle): Promise<void> {
  await database.migrate(outboxMigrations)
  await database.migrate(orderServiceMigrations)
}
