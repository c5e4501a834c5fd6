import { sql } from 'drizzle-orm'
import { queryRows, type OutboxDatabase } from '../../database/database.js'
import type { OutboxTable } from '../tables.js'

export interface OutboxBacklog {
  /** Rows waiting to be published (including those waiting for a retry). */
  pending: number
  /** Rows that used up their attempts; replay them with replayFailed(). */
  failed: number
  /** Age of the oldest pending row in ms, or null when nothing is pending. */
  oldestPendingMs: number | null
}

/** Reads the backlog through the partial indexes only: cheap enough for a health check. */
export async function readBacklog (db: OutboxDatabase, table: OutboxTable): Promise<OutboxBacklog> {
  const [row] = await queryRows<{ pending: string | number, failed: string | number, oldest_ms: string | number | null }>(db, sql`
    select
      (select count(*) from ${table} where status = 'pending') as pending,
      (select count(*) from ${table} where attempts > 0 and status = 'failed') as failed,
      (select extract(epoch from now() - created_at) * 1000 from ${table}
        where status = 'pending' order by id limit 1) as oldest_ms`)
  return {
    pending: Number(row?.pending ?? 0),
    failed: Number(row?.failed ?? 0),
    oldestPendingMs: row?.oldest_ms === null || row?.oldest_ms === undefined ? null : Math.max(0, Math.round(Number(row.oldest_ms)))
  }
}

export interface BlockedKey {
  partitionKey: string
  /** The row holding the key back. */
  id: number
  eventType: string
  status: 'pending' | 'failed'
  attempts: number
  lastError: string | null
}

/** Keys whose oldest unpublished event failed at least once: their later events wait behind it. */
export async function readBlockedKeys (db: OutboxDatabase, table: OutboxTable, limit: number): Promise<BlockedKey[]> {
  const rows = await queryRows<BlockedKey & { id: string | number }>(db, sql`
    select distinct on (partition_key) partition_key as "partitionKey", id, event_type as "eventType",
           status, attempts, last_error as "lastError"
    from ${table}
    where attempts > 0 and status <> 'published' and partition_key is not null
    order by partition_key, id
    limit ${limit}`)
  return rows.map((row) => ({ ...row, id: Number(row.id) }))
}
