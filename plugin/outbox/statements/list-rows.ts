import { sql, type SQL } from 'drizzle-orm'
import { queryRows, type OutboxDatabase } from '../../database/database.js'
import type { OutboxTable } from '../tables.js'

/** A row as listings show it (the CLI's list, the board's failed rows), without its payload. */
export interface ListedRow {
  id: number
  eventId: string
  eventType: string
  partitionKey: string | null
  status: string
  attempts: number
  createdAt: string
  ageMs: number
  lastError: string | null
}

export interface RowFilter {
  status: 'pending' | 'failed' | 'published'
  partitionKey?: string
  eventType?: string
  /** Only rows created at least this long ago. */
  olderThanMs?: number
  limit: number
}

function conditions (filter: Omit<RowFilter, 'limit'>): SQL {
  const parts = [sql`status = ${filter.status}`]
  if (filter.partitionKey !== undefined) parts.push(sql`partition_key = ${filter.partitionKey}`)
  if (filter.eventType !== undefined) parts.push(sql`event_type = ${filter.eventType}`)
  if (filter.olderThanMs !== undefined) parts.push(sql`created_at < now() - make_interval(secs => ${filter.olderThanMs / 1000})`)
  return sql.join(parts, sql` and `)
}

/** Rows of one status, oldest first, narrowed by key, type and age. */
export async function listRows (db: OutboxDatabase, table: OutboxTable, filter: RowFilter): Promise<ListedRow[]> {
  const rows = await queryRows<ListedRow & { id: string | number, ageMs: string | number, createdAt: string | Date }>(db, sql`
    select id, event_id as "eventId", event_type as "eventType", partition_key as "partitionKey", status, attempts,
           created_at as "createdAt", extract(epoch from now() - created_at) * 1000 as "ageMs", last_error as "lastError"
    from ${table} where ${conditions(filter)} order by id limit ${filter.limit}`)
  return rows.map((row) => ({ ...row, id: Number(row.id), ageMs: Math.max(0, Math.round(Number(row.ageMs))), createdAt: new Date(row.createdAt).toISOString() }))
}
