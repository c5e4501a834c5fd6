import { sql } from 'drizzle-orm'
import { queryRows, type OutboxDatabase } from '../database/database.js'
import type { InboxTable } from './tables.js'

/** Deletes up to `limit` inbox marks older than `olderThanMs`; returns how many. */
export async function purgeInboxMarks (db: OutboxDatabase, table: InboxTable, olderThanMs: number, limit: number): Promise<number> {
  const rows = await queryRows<{ consumer: unknown }>(db, sql`
    delete from ${table} where (consumer, event_id) in (
      select consumer, event_id from ${table}
      where processed_at < now() - make_interval(secs => ${olderThanMs / 1000})
      limit ${limit})
    returning consumer`)
  return rows.length
}
