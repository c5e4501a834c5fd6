import type { ClaimedRow } from './statements/claim-batch.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { assertEnvelopeFields } from '../envelope/envelope-fields.js'
import type { EventCatalog } from '../events/event-catalog.js'

export type RowEnvelope =
  | { readonly ok: true, readonly envelope: MessageEnvelope }
  | { readonly ok: false, readonly reason: string }

/**
 * Rebuilds the envelope a row was written from, and checks it again: a row edited or damaged
 * in the database since it was added must fail once with a reason, not be retried forever
 * nor reach consumers.
 */
export function rowToEnvelope (row: ClaimedRow, catalog: EventCatalog): RowEnvelope {
  const envelope = {
    eventId: row.eventId,
    eventType: row.eventType,
    payload: row.payload,
    // An unreadable time (occurred_at = 'infinity') is left as it is, for the check below to name.
    occurredAt: isoInstant(row.occurredAt) ?? String(row.occurredAt),
    source: row.source,
    correlationId: row.correlationId,
    causationId: row.causationId,
    version: row.version,
    partitionKey: row.partitionKey,
    headers: row.headers ?? {}
  }
  try {
    assertEnvelopeFields(envelope)
  } catch (err) {
    return { ok: false, reason: `unpublishable row: ${(err as Error).message}` }
  }
  const problems = catalog.get(row.eventType)?.explain(row.payload) ?? null
  if (problems !== null) return { ok: false, reason: `unpublishable row: payload of ${row.eventType} no longer matches its schema: ${problems}` }
  return { ok: true, envelope }
}

/** The instant in ISO 8601, or null when it is no instant (new Date('infinity') would make toISOString throw). */
function isoInstant (value: string | Date): string | null {
  const date = value instanceof Date ? value : new Date(value)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}
