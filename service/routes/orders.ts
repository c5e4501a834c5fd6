import { Type, type Static } from '@sinclair/typebox'
import { eq } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import { newEventId } from '../../plugin/index.js'
import { OrderCreated, OrderItemSchema } from '../events.js'
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
    const id = newEventId()
    const total = items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0)
    // The order row and its OrderCreated event commit together, or neither does.
    await request.outbox.transaction(async (tx) => {
      await tx.insert(orders).values({ id, customerId, items, total })
      request.outbox.add(OrderCreated.create({ orderId: id, customerId, items, total }))
    })
    return await reply.code(201).send({ id, status: 'pending', correlationId: request.outbox.correlationId })
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
