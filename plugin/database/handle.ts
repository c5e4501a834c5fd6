import type { MigrationConfig } from 'drizzle-orm/migrator'
import type { OutboxDatabase } from './database.js'

/** A database opened by one of the library's connectors: the Drizzle database and its lifecycle. */
export interface DatabaseHandle<D extends OutboxDatabase = OutboxDatabase> {
  readonly db: D
  /** "postgres" (a server through postgres-js) or "pglite" (in process). */
  readonly kind: 'postgres' | 'pglite'
  /** Where it is, without credentials, for logs. */
  readonly description: string
  /**
   * Applies a set of Drizzle migrations: `outboxMigrations` for the outbox and inbox tables, or
   * your own `{ migrationsFolder, migrationsTable }` (a folder with meta/_journal.json).
   */
  migrate (migrations: MigrationConfig): Promise<void>
  close (): Promise<void>
}
