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

export interface ClaimRequest {
  limit: number
  /** This projector's id, written into locked_by. */
  owner: string
  /** Lease length in ms: others skip the rows until it expires. */
  leaseMs: number
}

/**
 * Leases up to `limit` pending rows in id order, in ONE statement: FOR UPDATE SKIP LOCKED keeps
 * concurrent claims apart while it runs, and the lease (locked_until) keeps them apart after.
 * No transaction stays open while the rows are published, so a projector that dies mid-batch
 * holds nothing but a lease that runs out.
 *
 * Per-key order takes two filters:
 * - before the limit, rows whose key has an earlier row that already failed (attempts > 0, not
 *   published) are left out, so one poisoned key never fills the batch and starves the others;
 * - after it, a row is kept only if every earlier pending row of its key is in this same batch,
 *   i.e. none is leased by another projector right now (that one publishes first; we wait).
 */
export async function claimBatch (db: OutboxDatabase, table: OutboxTable, request: ClaimRequest): Promise<ClaimedRow[]> {
  const rows = await queryRows<ClaimedRow>(db, sql`
    with candidates as (
      select o.id, o.partition_key
      from ${table} o
      where o.status = 'pending'
        and o.available_at <= now()
        and (o.locked_until is null or o.locked_until < now())
        and (o.partition_key is null or not exists (
          select 1 from ${table} f
          where f.partition_key = o.partition_key and f.id < o.id
            and f.attempts > 0 and f.status <> 'published'))
      order by o.id
      limit ${request.limit}
      for update skip locked
    ), claimable as (
      select c.id from candidates c
      where c.partition_key is null or not exists (
        select 1 from ${table} p
        where p.partition_key = c.partition_key and p.status = 'pending' and p.id < c.id
          and p.id not in (select id from candidates))
    )
    update ${table} o
    set locked_until = now() + make_interval(secs => ${request.leaseMs / 1000}), locked_by = ${request.owner}
    from claimable
    where o.id = claimable.id
    returning o.id, o.event_id as "eventId", o.event_type as "eventType", o.topic, o.payload,
              o.occurred_at as "occurredAt", o.source, o.correlation_id as "correlationId",
              o.causation_id as "causationId", o.version, o.partition_key as "partitionKey",
              o.headers, o.attempts`)
  // bigint comes back as a string from postgres-js and as a bigint from PGlite;
  // UPDATE ... RETURNING has no order, and chains must be built in id order.
  for (const row of rows) row.id = Number(row.id)
  return rows.sort((a, b) => a.id - b.id)
}

/** Frees the leases a projector of this id held before it restarted: no need to wait them out. */
export async function releaseLeasesOf (db: OutboxDatabase, table: OutboxTable, owner: string): Promise<number> {
  const rows = await queryRows(db, sql`
    update ${table} set locked_until = null, locked_by = null
    where locked_by = ${owner} and status = 'pending' and locked_until > now()
    returning id`)
  return rows.length
}
