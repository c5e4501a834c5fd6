import { index, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core'
import { assertIdentifier } from '../database/identifier.js'

/**
 * The inbox table under the name you choose: one mark per (consumer, event id) handled, made by
 * `table`: drizzle's `pgTable`, or a PostgreSQL schema's `table` (createOutboxTables passes it).
 * The name is checked to be a plain identifier; it is never spliced into SQL unchecked.
 */
export function inboxTable (name: string, table: typeof pgTable = pgTable) {
  assertIdentifier(name, 'the inbox table')
  return table(name, {
    // The handler (consumer) name: each handler of an event keeps its own mark.
    consumer: text('consumer').notNull(),
    // Text, not uuid: events from other producers may use any id format.
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    processedAt: timestamp('processed_at', { withTimezone: true, mode: 'string' }).notNull().defaultNow()
  }, (t) => [
    primaryKey({ columns: [t.consumer, t.eventId] }),
    index(`${name}_processed_at_idx`).on(t.processedAt)
  ])
}

export type InboxTable = ReturnType<typeof inboxTable>

/** The inbox table under its default name, `inbox`. */
export const inbox = inboxTable('inbox')
