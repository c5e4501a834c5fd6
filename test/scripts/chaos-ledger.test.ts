import { randomUUID } from 'node:crypto'
import postgres from 'postgres'
import t, { type Test } from 'tap'
import { Ledger } from '../../scripts/chaos/ledger.js'
import type { AcceptedOrder } from '../../scripts/chaos/load.js'
import { seedStock } from '../../service/seed.js'
import { freshDatabase } from '../support/databases.js'

/**
 * The chaos run's ledger must see what it is there to see: each case writes the tables as a
 * faulty run would have left them and checks the verdict names it.
 */

interface Scene {
  sql: postgres.Sql
  ledger: Ledger
  accepted: Map<string, AcceptedOrder>
}

async function scene (t: Test): Promise<Scene> {
  const database = await freshDatabase(t, 'postgres')
  await seedStock(database.db)
  const sql = postgres(database.url!, { max: 1, onnotice: () => {} })
  const ledger = new Ledger(database.url!)
  t.teardown(async () => { await ledger.close(); await sql.end() })
  return { sql, ledger, accepted: new Map() }
}

/** An outbox row for one of the order's events, published; returns its event id. */
async function event (sql: postgres.Sql, orderId: string, eventType: string): Promise<string> {
  const eventId = randomUUID()
  await sql`insert into outbox (event_id, event_type, topic, payload, occurred_at, source, version, partition_key, status)
    values (${eventId}, ${eventType}, 'topic', ${sql.json({ orderId })}, now(), 'order-service', '1.0', ${orderId}, 'published')`
  return eventId
}

async function mark (sql: postgres.Sql, consumer: string, eventId: string, eventType: string, at = 'now()'): Promise<void> {
  await sql.unsafe(`insert into inbox (consumer, event_id, event_type, processed_at) values ($1, $2, $3, ${at})`, [consumer, eventId, eventType])
}

/** An order that went through as it should: created, reserved (2 apples), confirmed, every event marked. */
async function confirmedOrder (s: Scene): Promise<string> {
  const { sql } = s
  const id = randomUUID()
  await sql`insert into orders (id, customer_id, status, items, total) values (${id}, 'c', 'confirmed', ${sql.json([{ sku: 'apple', quantity: 2, unitPrice: 1 }])}, 2)`
  await mark(sql, 'inventory.reserve-stock', await event(sql, id, 'order.OrderCreated'), 'order.OrderCreated', "now() - interval '2 seconds'")
  await sql`update stock set available = available - 2 where sku = 'apple'`
  await sql`insert into stock_reservations (order_id, items) values (${id}, ${sql.json([{ sku: 'apple', quantity: 2 }])})`
  await mark(sql, 'orders.confirm', await event(sql, id, 'inventory.StockReserved'), 'inventory.StockReserved')
  await event(sql, id, 'order.OrderConfirmed')
  s.accepted.set(id, { id, mix: 'plentiful', cancel: 'none' })
  return id
}

t.test('a run where every order went through as it should has no findings', async (t) => {
  const s = await scene(t)
  await confirmedOrder(s)
  await confirmedOrder(s)
  const verdict = await s.ledger.verdict(s.accepted)
  t.same([verdict.lost, verdict.duplicateEffects, verdict.outOfOrder], [0, 0, 0])
  t.same(verdict.findings, { lost: {}, duplicateEffects: {}, outOfOrder: {} })
  t.match(verdict.counts, { ordersInDatabase: 2, confirmed: 2, unacknowledged: 0 })
})

t.test('an accepted order that is not in the database, or still pending, is lost', async (t) => {
  const s = await scene(t)
  const missing = randomUUID()
  s.accepted.set(missing, { id: missing, mix: 'plentiful', cancel: 'none' })
  const pending = await confirmedOrder(s)
  await s.sql`update orders set status = 'pending' where id = ${pending}`
  const verdict = await s.ledger.verdict(s.accepted)
  t.equal(verdict.lost, 2)
  t.same(verdict.findings.lost.acceptedButMissing, [missing])
  t.same(verdict.findings.lost.notFinal, [pending])
})

t.test('an event without its consumer\'s inbox mark is lost, even when the order looks settled', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  await s.sql`delete from inbox where consumer = 'orders.confirm'`
  const verdict = await s.ledger.verdict(s.accepted)
  t.same(verdict.findings.lost.eventMissingFromInbox, [id])
})

t.test('stock reserved twice for one order, or stock that does not add up, is a duplicate effect', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  await event(s.sql, id, 'inventory.StockReserved')
  await s.sql`update stock set available = available - 2 where sku = 'apple'`
  const verdict = await s.ledger.verdict(s.accepted)
  t.same(verdict.findings.duplicateEffects.inventoryAnsweredTwice, [id])
  t.same(verdict.findings.duplicateEffects.stockDoesNotAddUp, ['apple'])
  t.equal(verdict.duplicateEffects, 2, 'one order and one SKU')
})

t.test('a cancellation handled before the order\'s creation is out of order, and its stock stays held', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  await s.sql`update orders set status = 'cancelled' where id = ${id}`
  // The release ran (and found nothing to release) before the reservation it should have undone.
  await mark(s.sql, 'inventory.release-stock', await event(s.sql, id, 'order.OrderCancelled'), 'order.OrderCancelled', "now() - interval '1 hour'")
  s.accepted.get(id)!.cancel = 'ok'
  const verdict = await s.ledger.verdict(s.accepted)
  t.same(verdict.findings.outOfOrder.releaseHandledBeforeReserve, [id])
  t.equal(verdict.outOfOrder, 1)
  t.equal(verdict.lost, 0, 'counted as out of order, not as a lost release')
})

t.test('a cancel the service accepted, on an order that ended confirmed, is an order settled twice', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  s.accepted.get(id)!.cancel = 'ok'
  const verdict = await s.ledger.verdict(s.accepted)
  t.same(verdict.findings.duplicateEffects.cancelAcceptedButSettledAgain, [id])
})
