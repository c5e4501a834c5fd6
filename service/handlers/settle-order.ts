import { and, eq, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { OrderConfirmed, OrderRejected, StockRejected, StockReserved } from '../events.js'
import { orders } from '../schema.js'

/** The order side: moves an order to confirmed or rejected once inventory has answered. */
export async function subscribeSettleOrder (app: FastifyInstance): Promise<void> {
  await app.inbox.subscribe(StockReserved, async (event, { tx, outbox }) => {
    const settled = await tx.update(orders)
      .set({ status: 'confirmed', updatedAt: sql`now()` })
      .where(and(eq(orders.id, event.payload.orderId), eq(orders.status, 'pending')))
      .returning({ id: orders.id })
    if (settled.length === 1) outbox.add(OrderConfirmed.create({ orderId: event.payload.orderId }))
  }, { subscription: 'order-service', consumer: 'orders.confirm', ordered: true })

  await app.inbox.subscribe(StockRejected, async (event, { tx, outbox }) => {
    const settled = await tx.update(orders)
      .set({ status: 'rejected', rejectionReason: event.payload.reason, updatedAt: sql`now()` })
      .where(and(eq(orders.id, event.payload.orderId), eq(orders.status, 'pending')))
      .returning({ id: orders.id })
    if (settled.length === 1) outbox.add(OrderRejected.create({ orderId: event.payload.orderId, reason: event.payload.reason }))
  }, { subscription: 'order-service', consumer: 'orders.reject', ordered: true })
}
