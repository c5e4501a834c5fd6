import { sql } from 'drizzle-orm'
import { queryRows, type OutboxDatabase } from '../database/database.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import type { InboxTable } from './tables.js'

/**
 * Records that `consumer` handles this event, in the caller's transaction. Returns false when
 * the mark already exists: the event was handled before and its effects committed.
 * A concurrent delivery of the same event waits on the first one's insert and then sees the
 * conflict, so two consumers can never both apply it.
 */
export async function markProcessed (tx: OutboxDatabase, table: InboxTable, consumer: string, envelope: MessageEnvelope): Promise<boolean> {
  const rows = await queryRows(tx, sql`
    insert into ${table} (consumer, event_id, event_type) values (${consumer}, ${envelope.eventId}, ${envelope.eventType})
    on conflict do nothing
    returning 1 as fresh`)
  return rows.length === 1
}
