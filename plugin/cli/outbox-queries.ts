import { sql, type SQL } from 'drizzle-orm'
import { queryRows, type OutboxDatabase } from '../database/database.js'
import type { OutboxTable } from '../outbox/tables.js'

/** What `list` shows of a row (the payload only with `show`). */
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

/** One whole row, by its numeric id or its event id; null when there is none. */
export async function findRow (db: OutboxDatabase, table: OutboxTable, idOrEventId: string): Promise<Record<string, unknown> | null> {
  const where = /^\d+$/.test(idOrEventId) ? sql`id = ${Number(idOrEventId)}` : sql`event_id::text = ${idOrEventId}`
  const [row] = await queryRows<Record<string, unknown>>(db, sql`select * from ${table} where ${where} limit 1`)
  if (row === undefined) return null
  return { ...row, id: Number(row.id) }
}

/** Ids of the failed rows a replay selects. */
export async function failedRowIds (db: OutboxDatabase, table: OutboxTable, filter: { ids?: number[], partitionKey?: string, eventType?: string }): Promise<number[]> {
  const parts = [sql`status = 'failed'`]
  if (filter.ids !== undefined) parts.push(sql`id in (${sql.join(filter.ids.map((id) => sql`${id}`), sql`, `)})`)
  if (filter.partitionKey !== undefined) parts.push(sql`partition_key = ${filter.partitionKey}`)
  if (filter.eventType !== undefined) parts.push(sql`event_type = ${filter.eventType}`)
  const rows = await queryRows<{ id: string | number }>(db, sql`select id from ${table} where ${sql.join(parts, sql` and `)} order by id`)
  return rows.map((row) => Number(row.id))
}

/** Published rows older than the age, which a purge would delete. */
export async function countPublishedOlderThan (db: OutboxDatabase, table: OutboxTable, olderThanMs: number): Promise<number> {
  const [row] = await queryRows<{ n: string | number }>(db, sql`
    select count(*) as n from ${table}
    where status = 'published' and published_at < now() - make_interval(secs => ${olderThanMs / 1000})`)
  return Number(row?.n ?? 0)
}
