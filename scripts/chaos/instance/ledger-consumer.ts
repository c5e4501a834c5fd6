import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { demoEvents } from '../../../service/events.js'
import { POSITION_HEADER } from '../positions.js'

/** The chaos run's own consumer: one subscription on the demo's topics, every event type. */
export const LEDGER_SUBSCRIPTION = 'chaos-ledger'
export const ledgerConsumer = (eventType: string): string => `chaos.ledger/${eventType}`

/**
 * An effect only the inbox protects: every event appends a row to `chaos_ledger`, a table
 * without any unique key, in the transaction that also writes the inbox mark. A redelivery the
 * inbox failed to recognise appends a second row, and the run's check counts it. The demo's own
 * handlers are idempotent by themselves (primary keys, status guards), so they could not show a
 * broken inbox.
 */
export async function subscribeLedger (app: FastifyInstance, instance: string): Promise<void> {
  for (const definition of demoEvents) {
    await app.inbox.subscribe(definition, async (event, { tx }) => {
      const position = event.headers[POSITION_HEADER] ?? null
      await tx.execute(sql`
        insert into chaos_ledger (event_id, event_type, partition_key, position, instance, pid)
        values (${event.eventId}, ${event.eventType}, ${event.partitionKey}, ${position === null ? null : Number(position)}, ${instance}, ${process.pid})`)
    }, { subscription: LEDGER_SUBSCRIPTION, consumer: ledgerConsumer(definition.type), ordered: true })
  }
}
