import { sql } from 'drizzle-orm'
import { queryRows, type OutboxDatabase } from '../database/database.js'
import type { OutboxTable } from '../outbox/tables.js'

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
