import type { OutboxDatabase } from '../../database/database.js'
import type { MessageEnvelope } from '../../envelope/envelope.js'
import type { OutboxTable } from '../tables.js'

export interface OutboxEntry {
  readonly envelope: MessageEnvelope
  /** Topic short name the projector publishes the event to. */
  readonly topic: string
}

/** One multi-row INSERT for all the events of a transaction: statements, not rows, are what cost. */
export async function insertOutboxRows (db: OutboxDatabase, table: OutboxTable, entries: readonly OutboxEntry[]): Promise<void> {
  if (entries.length === 0) return
  await db.insert(table).values(entries.map(toRow))
}

function toRow ({ envelope, topic }: OutboxEntry): OutboxTable['$inferInsert'] {
  return {
    eventId: envelope.eventId,
    eventType: envelope.eventType,
    topic,
    payload: envelope.payload,
    occurredAt: envelope.occurredAt,
    source: envelope.source,
    correlationId: envelope.correlationId,
    causationId: envelope.causationId,
    version: envelope.version,
    partitionKey: envelope.partitionKey,
    headers: Object.keys(envelope.headers).length === 0 ? null : envelope.headers
  }
}
