import { fileURLToPath } from 'node:url'
import type { MigrationConfig } from 'drizzle-orm/migrator'

/**
 * The library's own migrations: the outbox and inbox tables, nothing else. Pass it to your
 * driver's Drizzle migrator (`migrate(db, outboxMigrations)` from `drizzle-orm/postgres-js/migrator`,
 * `drizzle-orm/node-postgres/migrator`, ...) or to `database.migrate(outboxMigrations)`.
 *
 * They keep their own bookkeeping table: Drizzle applies a migration only when it is newer than
 * the last one its table records, so sharing a table with your application's migrations would
 * make one set skip the other's older migrations.
 */
export const outboxMigrations: Readonly<Required<MigrationConfig>> = Object.freeze({
  // drizzle/ beside plugin/ in the sources, dist/drizzle/ beside dist/plugin/ in the package.
  migrationsFolder: fileURLToPath(new URL('../drizzle', import.meta.url)),
  migrationsTable: '__fastify_outbox_migrations',
  migrationsSchema: 'drizzle'
})
