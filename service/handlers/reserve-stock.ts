import { and, eq, inArray, isNull, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import type { PayloadOf } from 'fastify-outbox'
import { OrderCancelled, OrderCreated, StockRejected, StockReleased, StockReserved } from '../events.js'
import { stock, stockReservations } from '../schema.js'

/**
 * The inventory side: reserves stock for a new order, or rejects it, and releases it when the
 * order is cancelled; each says so with an event. Runs through the inbox, so a redelivered
 * event never reserves or releases twice, and on an ordered subscription, so an order's
 * OrderCancelled is handled after its OrderCreated.
 */
export async function subscribeReserveStock (app: FastifyInstance): Promise<void> {
  await app.inbox.subscribe(OrderCreated, async (event, { tx, outbox }) => {
    const order = event.payload
    const wanted = quantitiesBySku(order)
    // Lock the SKUs in a fixed order so two orders for the same SKUs cannot deadlock.
    const skus = [...wanted.keys()].sort()
    const rows = await tx.select().from(stock).where(inArray(stock.sku, skus)).orderBy(stock.sku).for('update')
    const available = new Map(rows.map((row) => [row.sku, row.available]))
    for (const sku of skus) {
      const have = available.get(sku)
      if (have === undefined || have < wanted.get(sku)!) {
        const reason = have === undefined ? `unknown SKU ${sku}` : `insufficient stock for ${sku}: ${have} left, ${wanted.get(sku)!} wanted`
        outbox.add(StockRejected.create({ orderId: order.orderId, reason, sku }))
        return
      }
    }
    for (const sku of skus) {
      await tx.update(stock).set({ available: sql`${stock.available} - ${wanted.get(sku)!}` }).where(eq(stock.sku, sku))
    }
    const items = skus.map((sku) => ({ sku, quantity: wanted.get(sku)! }))
    await tx.insert(stockReservations).values({ orderId: order.orderId, items })
    outbox.add(StockReserved.create({ orderId: order.orderId, items }))
  }, { subscription: 'inventory', consumer: 'inventory.reserve-stock', ordered: true })

  await app.inbox.subscribe(OrderCancelled, async (event, { tx, outbox }) => {
    const released = await tx.update(stockReservations)
      .set({ releasedAt: sql`now()` })
      .where(and(eq(stockReservations.orderId, event.payload.orderId), isNull(stockReservations.releasedAt)))
      .returning({ items: stockReservations.items })
    const reservation = released[0]
    // Nothing reserved (the order was rejected): nothing to give back.
    if (reservation === undefined) return
    for (const item of [...reservation.items].sort((a, b) => a.sku.localeCompare(b.sku))) {
      await tx.update(stock).set({ available: sql`${stock.available} + ${item.quantity}` }).where(eq(stock.sku, item.sku))
    }
    outbox.add(StockReleased.create({ orderId: event.payload.orderId, items: reservation.items }))
  }, { subscription: 'inventory', consumer: 'inventory.release-stock', ordered: true })
}

function quantitiesBySku (order: PayloadOf<typeof OrderCreated>): Map<string, number> {
  const wanted = new Map<string, number>()
  for (const item of order.items) wanted.set(item.sku, (wanted.get(item.sku) ?? 0) + item.quantity)
  return wanted
}
