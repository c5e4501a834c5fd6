import { randomUUID } from 'node:crypto'
import { appendFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import t, { type Test } from 'tap'
import { installRunTables } from '../../scripts/chaos/database.js'
import { LEDGER_SUBSCRIPTION, ledgerConsumer } from '../../scripts/chaos/instance/ledger-consumer.js'
import type { Receipt } from '../../scripts/chaos/instance/receipts.js'
import { Ledger } from '../../scripts/chaos/ledger.js'
import type { AcceptedOrder } from '../../scripts/chaos/load.js'
import { seedStock } from '../../service/seed.js'
import { freshDatabase } from '../support/databases.js'

/**
 * The chaos run's ledger must see what it is there to see: each case writes the tables (and the
 * consumers' receipts) as a faulty run would have left them and checks the verdict names it.
 */

interface Scene {
  sql: postgres.Sql
  ledger: Ledger
  accepted: Map<string, AcceptedOrder>
  receipts: string
  verdict: () => ReturnType<Ledger['verdict']>
}

async function scene (t: Test): Promise<Scene> {
  const database = await freshDatabase(t, 'postgres', { orderService: true })
  await seedStock(database.db)
  await installRunTables(database.url!, { breakInbox: false })
  const sql = postgres(database.url!, { max: 1, onnotice: () => {} })
  const ledger = new Ledger(database.url!)
  t.teardown(async () => { await ledger.close(); await sql.end() })
  const accepted = new Map<string, AcceptedOrder>()
  const receipts = join(t.testdir(), 'receipts-a.jsonl')
  appendFileSync(receipts, '')
  return { sql, ledger, accepted, receipts, verdict: async () => await ledger.verdict(accepted, [receipts]) }
}

/** The demo subscription that handles an event type, besides the run's ledger consumer. */
const DEMO_SUBSCRIPTION: Record<string, string> = {
  'order.OrderCreated': 'inventory',
  'order.OrderCancelled': 'inventory',
  'inventory.StockReserved': 'order-service',
  'inventory.StockRejected': 'order-service'
}

let clock = Date.now()

/**
 * An outbox row for one of the order's events, published, on the demo's topic of its side (the
 * run's trigger stamps its position); then, unless `deliver` is false, its delivery to each
 * subscription that handles it (a receipt each) and the ledger consumer's effect and mark.
 */
async function event (s: Scene, orderId: string, eventType: string, deliver = true): Promise<string> {
  const eventId = randomUUID()
  const topic = eventType.startsWith('order.') ? 'order-events' : 'inventory-events'
  await s.sql`insert into outbox (event_id, event_type, topic, payload, occurred_at, source, version, partition_key, status)
    values (${eventId}, ${eventType}, ${topic}, ${s.sql.json({ orderId })}, now(), 'order-service', '1.0', ${orderId}, 'published')`
  if (deliver) await delivered(s, eventId, [LEDGER_SUBSCRIPTION, ...(DEMO_SUBSCRIPTION[eventType] === undefined ? [] : [DEMO_SUBSCRIPTION[eventType]!])])
  return eventId
}

/** The receipts of an event's deliveries to these subscriptions, and the ledger consumer's effect and mark when it is one of them. */
async function delivered (s: Scene, eventId: string, subscriptions: string[], applied = true): Promise<void> {
  const [row] = await s.sql<Array<{ eventType: string, key: string, position: number }>>`
    select event_type as "eventType", partition_key as key, (headers->>'chaos-position')::int as position from outbox where event_id = ${eventId}`
  for (const subscription of subscriptions) receipt(s, { subscription, eventId, eventType: row!.eventType, key: row!.key, position: row!.position })
  if (applied && subscriptions.includes(LEDGER_SUBSCRIPTION)) {
    await s.sql`insert into chaos_ledger (event_id, event_type, partition_key, position, instance, pid) values (${eventId}, ${row!.eventType}, ${row!.key}, ${row!.position}, 'a', 1)`
    await mark(s.sql, ledgerConsumer(row!.eventType), eventId, row!.eventType)
  }
}

function receipt (s: Scene, fields: Pick<Receipt, 'subscription' | 'eventId' | 'eventType' | 'key' | 'position'>): void {
  const line: Receipt = { instance: 'a', pid: 1, redeliveryCount: 0, at: clock++, ...fields }
  appendFileSync(s.receipts, JSON.stringify(line) + '\n')
}

async function mark (sql: postgres.Sql, consumer: string, eventId: string, eventType: string, at = 'now()'): Promise<void> {
  await sql.unsafe(`insert into inbox (consumer, event_id, event_type, processed_at) values ($1, $2, $3, ${at})`, [consumer, eventId, eventType])
}

/** An order that went through as it should: created, reserved (2 apples), confirmed, every event delivered and marked. */
async function confirmedOrder (s: Scene): Promise<string> {
  const { sql } = s
  const id = randomUUID()
  await sql`insert into orders (id, customer_id, status, items, total) values (${id}, 'c', 'confirmed', ${sql.json([{ sku: 'apple', quantity: 2, unitPrice: 1 }])}, 2)`
  await mark(sql, 'inventory.reserve-stock', await event(s, id, 'order.OrderCreated'), 'order.OrderCreated', "now() - interval '2 seconds'")
  await sql`update stock set available = available - 2 where sku = 'apple'`
  await sql`insert into stock_reservations (order_id, items) values (${id}, ${sql.json([{ sku: 'apple', quantity: 2 }])})`
  await mark(sql, 'orders.confirm', await event(s, id, 'inventory.StockReserved'), 'inventory.StockReserved')
  await event(s, id, 'order.OrderConfirmed')
  s.accepted.set(id, { id, mix: 'plentiful', cancel: 'none' })
  return id
}

t.test('a run where every order went through as it should has no findings', async (t) => {
  const s = await scene(t)
  await confirmedOrder(s)
  await confirmedOrder(s)
  const verdict = await s.verdict()
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
  const verdict = await s.verdict()
  t.equal(verdict.lost, 2)
  t.same(verdict.findings.lost.acceptedButMissing, [missing])
  t.same(verdict.findings.lost.notFinal, [pending])
})

t.test('an event without its consumer\'s inbox mark is lost, even when the order looks settled', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  await s.sql`delete from inbox where consumer = 'orders.confirm'`
  const verdict = await s.verdict()
  t.same(verdict.findings.lost.eventMissingFromInbox, [id])
})

t.test('stock reserved twice for one order, or stock that does not add up, is a duplicate effect', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  await event(s, id, 'inventory.StockReserved')
  await s.sql`update stock set available = available - 2 where sku = 'apple'`
  const verdict = await s.verdict()
  t.same(verdict.findings.duplicateEffects.inventoryAnsweredTwice, [id])
  t.same(verdict.findings.duplicateEffects.stockDoesNotAddUp, ['apple'])
  t.equal(verdict.duplicateEffects, 2, 'one order and one SKU')
})

t.test('a cancellation handled before the order\'s creation is out of order, and its stock stays held', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  await s.sql`update orders set status = 'cancelled' where id = ${id}`
  // The release ran (and found nothing to release) before the reservation it should have undone.
  await mark(s.sql, 'inventory.release-stock', await event(s, id, 'order.OrderCancelled'), 'order.OrderCancelled', "now() - interval '1 hour'")
  s.accepted.get(id)!.cancel = 'ok'
  const verdict = await s.verdict()
  t.same(verdict.findings.outOfOrder.releaseHandledBeforeReserve, [id])
  t.equal(verdict.outOfOrder, 1)
  t.equal(verdict.lost, 0, 'counted as out of order, not as a lost release')
})

t.test('a cancel the service accepted, on an order that ended confirmed, is an order settled twice', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  s.accepted.get(id)!.cancel = 'ok'
  const verdict = await s.verdict()
  t.same(verdict.findings.duplicateEffects.cancelAcceptedButSettledAgain, [id])
})

t.test('each outbox row gets its place in its key\'s sequence on its topic, in insert order', async (t) => {
  const s = await scene(t)
  const [a, b] = [randomUUID(), randomUUID()]
  for (const [key, type] of [[a, 'order.OrderCreated'], [b, 'order.OrderCreated'], [a, 'inventory.StockReserved'], [a, 'order.OrderConfirmed']] as const) await event(s, key, type, false)
  const rows = await s.sql<Array<{ key: string, topic: string, position: string }>>`select partition_key as key, topic, headers->>'chaos-position' as position from outbox order by id`
  t.same(rows.map((r) => [r.key === a ? 'a' : 'b', r.topic, r.position]), [
    ['a', 'order-events', '1'], ['b', 'order-events', '1'], ['a', 'inventory-events', '1'], ['a', 'order-events', '2']
  ])
})

t.test('an effect the ledger consumer applied twice is a duplicate effect: the inbox let a redelivery through', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  await s.sql`insert into chaos_ledger (event_id, event_type, partition_key, position, instance, pid)
    select event_id::text, event_type, partition_key, 1, 'b', 2 from outbox where partition_key = ${id} and event_type = 'order.OrderCreated'`
  const verdict = await s.verdict()
  t.same(verdict.findings.duplicateEffects.ledgerAppliedTwice, [id])
  t.equal(verdict.duplicateEffects, 1)
  t.equal(verdict.lost, 0)
})

t.test('an event no consumer received, and whose effect is missing, is lost', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  await event(s, id, 'order.OrderCancelled', false)
  const verdict = await s.verdict()
  t.same(verdict.findings.lost.neverReceivedByLedger, [id])
  t.same(verdict.findings.lost.neverReceived, [id], 'nor by inventory')
  t.same(verdict.findings.lost.ledgerNeverApplied, [id])
})

t.test('a key\'s events applied and received out of their positions are out of order', async (t) => {
  const s = await scene(t)
  const id = randomUUID()
  const created = await event(s, id, 'order.OrderCreated', false)
  const cancelled = await event(s, id, 'order.OrderCancelled', false)
  await delivered(s, cancelled, [LEDGER_SUBSCRIPTION, 'inventory'])
  await delivered(s, created, [LEDGER_SUBSCRIPTION, 'inventory'])
  const verdict = await s.verdict()
  t.same(verdict.findings.outOfOrder.ledgerAppliedOutOfOrder, [id])
  t.same(verdict.findings.outOfOrder.receivedOutOfOrder, [id, id], 'on both subscriptions')
})

t.test('an event received again after later ones (a redelivery) is in order; it is counted as received again', async (t) => {
  const s = await scene(t)
  const id = await confirmedOrder(s)
  const [created] = await s.sql<Array<{ eventId: string }>>`select event_id::text as "eventId" from outbox where partition_key = ${id} and event_type = 'order.OrderCreated'`
  await delivered(s, created!.eventId, [LEDGER_SUBSCRIPTION, 'inventory'], false)
  const verdict = await s.verdict()
  t.same([verdict.lost, verdict.duplicateEffects, verdict.outOfOrder], [0, 0, 0])
  t.equal(verdict.counts.receivedAgain, 2)
  t.equal(verdict.counts.receipts, 7, 'five first deliveries and two again')
})
