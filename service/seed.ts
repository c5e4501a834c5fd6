import type { OutboxDatabase } from 'fastify-outbox'
import { stock } from './schema.js'

/** The demo catalogue: plenty of most things, and one SKU that runs out fast to show rejections. */
export const DEMO_STOCK: ReadonlyArray<{ sku: string, available: number }> = [
  { sku: 'apple', available: 1_000_000 },
  { sku: 'pear', available: 1_000_000 },
  { sku: 'plum', available: 1_000_000 },
  { sku: 'truffle', available: 10 }
]

/** Inserts the demo catalogue where it is missing; never overwrites stock that moved. */
export async function seedStock (db: OutboxDatabase): Promise<void> {
  await db.insert(stock).values([...DEMO_STOCK]).onConflictDoNothing({ target: stock.sku })
}
