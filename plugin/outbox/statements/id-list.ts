import { sql, type SQL } from 'drizzle-orm'

/**
 * A list of row ids as ONE bigint[] parameter: the statement text stays the same whatever the
 * count, so the driver prepares it once, and both postgres-js and PGlite accept it.
 */
export function idArray (ids: readonly number[]): SQL {
  for (const id of ids) {
    if (!Number.isSafeInteger(id)) throw new TypeError(`row id ${String(id)} is not an integer`)
  }
  return sql`${`{${ids.join(',')}}`}::bigint[]`
}
