import { sql } from 'drizzle-orm'
import { bigint, check, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { assertIdentifier } from '../database/identifier.js'

export const OUTBOX_STATUSES = ['pending', 'published', 'failed'] as const
export type OutboxStatus = typeof OUTBOX_STATUSES[number]

/**
 * The outbox table under the name you choose, made by `table`: drizzle's `pgTable`, or a
 * PostgreSQL schema's `table` (createOutboxTables passes it). The name is checked to be a plain
 * identifier; it is never spliced into SQL unchecked.
 */
export function outboxTable (name: string, table: typeof pgTable = pgTable) {
  assertIdentifier(name, 'the outbox table')
  return table(name, {
    // Commit order within a key follows this id: rows are inserted at commit, after the business
    // change took its locks.
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    topic: text('topic').notNull(),
    payload: jsonb('payload').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'string' }).notNull(),
    source: text('source').notNull(),
    correlationId: text('correlation_id'),
    causationId: text('causation_id'),
    version: text('version').notNull(),
    partitionKey: text('partition_key'),
    // Null rather than '{}' when there are no headers: most rows have none and the row stays narrow.
    headers: jsonb('headers').$type<Record<string, string>>(),
    status: text('status', { enum: OUTBOX_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    availableAt: timestamp('available_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    // The lease of the projector relaying the row: others leave it alone until it expires,
    // so a projector that dies mid-batch holds its rows for at most one lease.
    lockedUntil: timestamp('locked_until', { withTimezone: true, mode: 'string' }),
    lockedBy: text('locked_by'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow(),
    publishedAt: timestamp('published_at', { withTimezone: true, mode: 'string' })
  }, (t) => [
    check(`${name}_status_check`, sql`${t.status} in ('pending', 'published', 'failed')`),
    // The claim scans pending rows in id order; a partial index stays as small as the backlog.
    index(`${name}_pending_idx`).on(t.id).where(sql`${t.status} = 'pending'`),
    // Per-key order: "is an earlier row of this key still pending?"
    index(`${name}_key_order_idx`).on(t.partitionKey, t.id).where(sql`${t.status} = 'pending' and ${t.partitionKey} is not null`),
    // Keys held back by a row that failed at least once: tiny, since healthy rows never enter it.
    index(`${name}_key_blocked_idx`).on(t.partitionKey, t.id).where(sql`${t.attempts} > 0 and ${t.status} <> 'published'`)
  ])
}

export type OutboxTable = ReturnType<typeof outboxTable>

/** The outbox table under its default name, `outbox`. */
export const outbox = outboxTable('outbox')
