import { inArray, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import type { PayloadOf } from '../../plugin/index.js'
import { OrderCreated, StockRejected, StockReserved } from '../events.js'
import { stock, stockReservations } from '../schema.js'

/**
 * The inventory side: reserves stock for a new order, or rejects it, and says so with an event.
 * Runs through the inbox, so a redelivered OrderCreated never reserves twice.
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
      await tx.update(stock).set({ available: sql`${stock.available} - ${wanted.get(sku)!}` }).where(inArray(stock.sku, [sku]))
    }
    const items = skus.map((sku) => ({ sku, quantity: wanted.get(sku)! }))
    await tx.insert(stockReservations).values({ orderId: order.orderId, items })
    outbox.add(StockReserved.create({ orderId: order.orderId, items }))
  }, { subscription: 'inventory', consumer: 'inventory.reserve-stock', ordered: true })
}

function quantitiesBySku (order: PayloadOf<typeof OrderCreated>): Map<string, number> {
  const wanted = new Map<string, number>()
  for (const item of order.items) wanted.set(item.sku, (wanted.get(item.sku) ?? 0) + item.quantity)
  return wanted
}
