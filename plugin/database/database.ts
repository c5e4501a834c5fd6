import type { SQLWrapper } from 'drizzle-orm'
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core'

/**
 * Any Drizzle PostgreSQL database: `drizzle(postgres(url))`, `drizzle(new PGlite())`, ...
 * A transaction is one too (PgTransaction extends PgDatabase), so every statement here joins
 * the caller's transaction when given one.
 */
export type OutboxDatabase = PgDatabase<PgQueryResultHKT, any, any>
export type OutboxTransaction = PgTransaction<PgQueryResultHKT, any, any>

/** Runs a statement and returns its rows, whatever the driver's result shape. */
export async function queryRows<Row> (db: OutboxDatabase, statement: SQLWrapper): Promise<Row[]> {
  const result: unknown = await db.execute(statement)
  // postgres-js answers an array of rows; PGlite and node-postgres an object with `rows`.
  if (Array.isArray(result)) return result as Row[]
  const rows = (result as { rows?: unknown }).rows
  if (Array.isArray(rows)) return rows as Row[]
  throw new TypeError('Unrecognised query result shape from the Drizzle driver: expected an array of rows or { rows }')
}

/** True when the value looks like a Drizzle PostgreSQL database (or transaction). */
export function isDrizzleDatabase (value: unknown): value is OutboxDatabase {
  return value !== null && typeof value === 'object' &&
    typeof (value as OutboxDatabase).execute === 'function' &&
    typeof (value as OutboxDatabase).transaction === 'function' &&
    typeof (value as OutboxDatabase).insert === 'function'
}
