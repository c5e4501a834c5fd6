import { sql } from 'drizzle-orm'
import { queryRows, type OutboxDatabase } from '../../database/database.js'
import type { OutboxTable } from '../tables.js'

/** A claimed outbox row, as the projector needs it. */
export interface ClaimedRow {
  id: number
  eventId: string
  eventType: string
  topic: string
  payload: unknown
  occurredAt: string | Date
  source: string
  correlationId: string | null
  causationId: string | null
  version: string
  partitionKey: string | null
  headers: Record<string, string> | null
  attempts: number
}

/**
 * Claims up to `limit` pending rows for this transaction, in id order, skipping rows other
 * projectors hold. Must run inside a transaction: the row locks are the claim, and they vanish
 * with the transaction if the projector dies, so no row is ever left stuck.
 *
 * Per-key order takes two filters:
 * - before the limit, rows whose key has an earlier row that already failed (attempts > 0, not
 *   published) are left out, so one poisoned key never fills the batch and starves the others;
 * - after it, a row is kept only if every earlier pending row of its key is in this same batch,
 *   i.e. none is held by another projector right now (that one publishes first; we wait).
 */
export async function claimBatch (tx: OutboxDatabase, table: OutboxTable, limit: number): Promise<ClaimedRow[]> {
  const rows = await queryRows<ClaimedRow>(tx, sql`
    with candidates as (
      select o.id, o.partition_key
      from ${table} o
      where o.status = 'pending'
        and o.available_at <= now()
        and (o.partition_key is null or not exists (
          select 1 from ${table} f
          where f.partition_key = o.partition_key and f.id < o.id
            and f.attempts > 0 and f.status <> 'published'))
      order by o.id
      limit ${limit}
      for update skip locked
    )
    select o.id, o.event_id as "eventId", o.event_type as "eventType", o.topic, o.payload,
           o.occurred_at as "occurredAt", o.source, o.correlation_id as "correlationId",
           o.causation_id as "causationId", o.version, o.partition_key as "partitionKey",
           o.headers, o.attempts
    from candidates c
    join ${table} o on o.id = c.id
    where c.partition_key is null or not exists (
      select 1 from ${table} p
      where p.partition_key = c.partition_key and p.status = 'pending' and p.id < c.id
        and p.id not in (select id from candidates))
    order by o.id`)
  // bigint comes back as a string from postgres-js and as a bigint from PGlite.
  for (const row of rows) row.id = Number(row.id)
  return rows
}
