import { randomBytes } from 'node:crypto'
import { Type } from '@sinclair/typebox'
import { sql } from 'drizzle-orm'
import { defineEvent, outbox, type EventDefinition } from 'fastify-outbox'
import type { OutboxDatabase } from 'fastify-outbox'

/** Characters of padding that make the JSON text of a bench payload about 1 KB. */
export const PAD_LENGTH = 990

const BenchPayload = Type.Object({ seq: Type.Integer({ minimum: 0 }), pad: Type.String() })

/** An id for this run's topics and event types: every scenario gets its own, nothing is shared. */
export function runId (): string {
  return `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`
}

/**
 * The event a scenario relays: `bench<run>.PayloadFilled` on its own topic, keyed by its
 * sequence number (one key per event, like one order per OrderCreated).
 */
export function benchEvent (run: string, name = 'PayloadFilled'): EventDefinition<string, typeof BenchPayload> {
  return defineEvent(`bench${run}.${name}`, BenchPayload, { topic: `bench-${run}-${name.toLowerCase()}`, partitionKey: (p) => `k${p.seq}` })
}

export function benchPayload (seq: number): { seq: number, pad: string } {
  return { seq, pad: 'x'.repeat(PAD_LENGTH) }
}

/**
 * Inserts `count` pending rows of `event` (1 KB payloads) in chunks of one generate_series
 * INSERT each, then ANALYZEs the table so the claim is planned on real numbers: about 30k
 * rows/s here, far faster than any relay drains them.
 */
export async function fillOutbox (db: OutboxDatabase, event: EventDefinition, count: number, firstSeq = 1): Promise<void> {
  const chunk = 50_000
  for (let from = firstSeq; from < firstSeq + count; from += chunk) {
    const to = Math.min(firstSeq + count - 1, from + chunk - 1)
    await db.execute(sql`
      insert into ${outbox} (event_id, event_type, topic, payload, occurred_at, source, version, partition_key)
      select gen_random_uuid(), ${event.type}, ${event.topic},
             jsonb_build_object('seq', g, 'pad', repeat('x', ${PAD_LENGTH}::int)), now(), 'bench', '1.0', 'k' || g
      from generate_series(${from}::int, ${to}::int) g`)
  }
  await db.execute(sql`analyze ${outbox}`)
}

/** Empties the outbox (ids restart): every drain starts from the same fresh table, whatever ran before. */
export async function emptyOutbox (db: OutboxDatabase): Promise<void> {
  await db.execute(sql`truncate ${outbox} restart identity`)
}
