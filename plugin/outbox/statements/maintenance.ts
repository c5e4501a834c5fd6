import { sql } from 'drizzle-orm'
import { queryRows, type OutboxDatabase } from '../../database/database.js'
import type { OutboxTable } from '../tables.js'
import { idArray } from './id-list.js'

export interface ReplaySelection {
  /** Only these rows; default every failed row. */
  ids?: readonly number[]
  /** Only rows of this event type. */
  eventType?: string
}

/** Gives failed rows a fresh set of attempts; returns how many were put back. Their last error stays for the record. */
export async function replayFailedRows (db: OutboxDatabase, table: OutboxTable, selection: ReplaySelection = {}): Promise<number> {
  const ids = selection.ids === undefined ? sql`true` : sql`id = any(${idArray(selection.ids)})`
  const type = selection.eventType === undefined ? sql`true` : sql`event_type = ${selection.eventType}`
  const rows = await queryRows<{ id: unknown }>(db, sql`
    update ${table} set status = 'pending', attempts = 0, available_at = now()
    where status = 'failed' and ${ids} and ${type}
    returning id`)
  return rows.length
}

/** Deletes up to `limit` published rows older than `olderThanMs`; returns how many. Small batches keep locks short. */
export async function purgePublishedRows (db: OutboxDatabase, table: OutboxTable, olderThanMs: number, limit: number): Promise<number> {
  const rows = await queryRows<{ id: unknown }>(db, sql`
    delete from ${table} where id in (
      select id from ${table}
      where status = 'published' and published_at < now() - make_interval(secs => ${olderThanMs / 1000})
      order by id limit ${limit})
    returning id`)
  return rows.length
}
