import { randomUUID } from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { and, eq, inArray, sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { OrderCancelled, OrderCreated, OrderItemSchema } from '../events.js'
import { ORDER_STATUSES, orders } from '../schema.js'

const CreateOrderBody = Type.Object({
  customerId: Type.String({ minLength: 1, maxLength: 100 }),
  items: Type.Array(OrderItemSchema, { minItems: 1, maxItems: 100 })
}, { additionalProperties: false })

const OrderParams = Type.Object({ id: Type.String({ format: 'uuid' }) })

const OrderView = Type.Object({
  id: Type.String(),
  customerId: Type.String(),
  status: Type.Union(ORDER_STATUSES.map((s) => Type.Literal(s))),
  items: Type.Array(OrderItemSchema),
  total: Type.Integer(),
  rejectionReason: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String()
})

const ErrorView = Type.Object({ statusCode: Type.Integer(), error: Type.String(), message: Type.String() })

export async function orderRoutes (app: FastifyInstance): Promise<void> {
  app.post<{ Body: Static<typeof CreateOrderBody> }>('/orders', {
    schema: {
      body: CreateOrderBody,
      response: { 201: Type.Object({ id: Type.String(), status: Type.Literal('pending'), correlationId: Type.String() }) }
    }
  }, async (request, reply) => {
    const { customerId, items } = request.body
    const id = randomUUID()
    const total = items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0)
    // The order row and its OrderCreated event commit together, or neither does.
    await request.outbox.transaction(async (tx) => {
      await tx.insert(orders).values({ id, customerId, items, total })
      request.outbox.add(OrderCreated.create({ orderId: id, customerId, items, total }))
    })
    return await reply.code(201).send({ id, status: 'pending', correlationId: request.outbox.correlationId })
  })

  // Cancelling releases the order's stock, if inventory reserved any: it hears OrderCancelled after
  // OrderCreated (same key, same topic), so it never reserves for an order it already released.
  app.post<{ Params: Static<typeof OrderParams> }>('/orders/:id/cancel', {
    schema: { params: OrderParams, response: { 200: Type.Object({ id: Type.String(), status: Type.Literal('cancelled') }), 404: ErrorView, 409: ErrorView } }
  }, async (request, reply) => {
    const { id } = request.params
    const cancelled = await request.outbox.transaction(async (tx) => {
      const rows = await tx.update(orders)
        .set({ status: 'cancelled', updatedAt: sql`now()` })
        .where(and(eq(orders.id, id), inArray(orders.status, ['pending', 'confirmed'])))
        .returning({ id: orders.id })
      if (rows.length === 1) request.outbox.add(OrderCancelled.create({ orderId: id }))
      return rows.length === 1
    })
    if (cancelled) return { id, status: 'cancelled' as const }
    const [order] = await app.outbox.db.select({ status: orders.status }).from(orders).where(eq(orders.id, id))
    if (order === undefined) return await reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `No order ${id}` })
    return await reply.code(409).send({ statusCode: 409, error: 'Conflict', message: `Order ${id} is ${order.status}; only pending or confirmed orders can be cancelled` })
  })

  app.get<{ Params: Static<typeof OrderParams> }>('/orders/:id', {
    schema: { params: OrderParams, response: { 200: OrderView, 404: ErrorView } }
  }, async (request, reply) => {
    const [order] = await app.outbox.db.select().from(orders).where(eq(orders.id, request.params.id))
    if (order === undefined) {
      return await reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `No order ${request.params.id}` })
    }
    return { ...order, createdAt: new Date(order.createdAt).toISOString(), updatedAt: new Date(order.updatedAt).toISOString() }
  })
}
