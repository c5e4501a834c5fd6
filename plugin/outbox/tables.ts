import { sql } from 'drizzle-orm'
import { bigint, check, index, integer, jsonb, pgSchema, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core'
import { assertIdentifier } from '../database/identifier.js'

export const OUTBOX_STATUSES = ['pending', 'published', 'failed'] as const
export type OutboxStatus = typeof OUTBOX_STATUSES[number]

export interface OutboxTableNames {
  /** PostgreSQL schema for both tables; default none (the connection's search_path, usually public). */
  schema?: string
  /** Default "outbox". */
  outbox?: string
  /** Default "inbox". */
  inbox?: string
}

/**
 * The outbox and inbox tables, under the names you choose. Add the result to your drizzle-kit
 * schema so your migrations create them:
 *   export const { outbox, inbox } = createOutboxTables({ schema: 'messaging' })
 * Names are checked to be plain identifiers; they are never spliced into SQL unchecked.
 */
export function createOutboxTables (names: OutboxTableNames = {}) {
  const outboxName = assertIdentifier(names.outbox ?? 'outbox', 'the outbox table')
  const inboxName = assertIdentifier(names.inbox ?? 'inbox', 'the inbox table')
  // Same columns either way; only the schema qualifier differs, so one type serves both.
  const tableIn = names.schema === undefined
    ? pgTable
    : pgSchema(assertIdentifier(names.schema, 'the outbox schema')).table as unknown as typeof pgTable

  const outbox = tableIn(outboxName, {
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
    check(`${outboxName}_status_check`, sql`${t.status} in ('pending', 'published', 'failed')`),
    // The claim scans pending rows in id order; a partial index stays as small as the backlog.
    index(`${outboxName}_pending_idx`).on(t.id).where(sql`${t.status} = 'pending'`),
    // Per-key order: "is an earlier row of this key still pending?"
    index(`${outboxName}_key_order_idx`).on(t.partitionKey, t.id).where(sql`${t.status} = 'pending' and ${t.partitionKey} is not null`),
    // Keys held back by a row that failed at least once: tiny, since healthy rows never enter it.
    index(`${outboxName}_key_blocked_idx`).on(t.partitionKey, t.id).where(sql`${t.attempts} > 0 and ${t.status} <> 'published'`)
  ])

  const inbox = tableIn(inboxName, {
    // The handler (consumer) name: each handler of an event keeps its own mark.
    consumer: text('consumer').notNull(),
    // Text, not uuid: events from other producers may use any id format.
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow()
  }, (t) => [
    primaryKey({ columns: [t.consumer, t.eventId] }),
    index(`${inboxName}_processed_at_idx`).on(t.processedAt)
  ])

  return { outbox, inbox }
}

export type OutboxTables = ReturnType<typeof createOutboxTables>
export type OutboxTable = OutboxTables['outbox']
export type InboxTable = OutboxTables['inbox']

/** The tables under their default names, `outbox` and `inbox`. */
export const { outbox, inbox } = createOutboxTables()
