import { randomUUID } from 'node:crypto'
/**
 * The demo's order routes for the write-path scenario, in their own process so that the load
 * generator does not share its event loop: the app is put together as service/app.ts does (same
 * Fastify options, the plugin, the real `orderRoutes`), with no relay in this process and the
 * plugin's NOTIFY after commit on or off (BENCH_NOTIFY). Besides the real `POST /orders`, variants
 * with the same body validation:
 *   POST /bench/orders-only           the order insert alone, in a transaction of its own
 *   POST /bench/orders-notify-in-tx   the real route plus `pg_notify` inside the transaction
 *   POST /bench/orders-notify-after   the real route plus one `pg_notify` after every commit
 */
import { Type, type Static } from '@sinclair/typebox'
import { sql } from 'drizzle-orm'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { correlatedRequestId, outboxPlugin } from 'fastify-outbox'
import { openPostgres } from 'fastify-outbox/postgres'
import { SERVICE_NAME } from '../../service/app.js'
import { demoEvents, OrderCreated, OrderItemSchema } from '../../service/events.js'
import { orderRoutes } from '../../service/routes/orders.js'
import { orders } from '../../service/schema.js'
import { workerChannel } from '../support/worker-side.js'

const CreateOrderBody = Type.Object({
  customerId: Type.String({ minLength: 1, maxLength: 100 }),
  items: Type.Array(OrderItemSchema, { minItems: 1, maxItems: 100 })
}, { additionalProperties: false })
type Body = Static<typeof CreateOrderBody>
const Created = { 201: Type.Object({ id: Type.String(), status: Type.Literal('pending'), correlationId: Type.String() }) }

function variantRoutes (app: FastifyInstance): void {
  const order = (body: Body): typeof orders.$inferInsert & { total: number } => {
    const total = body.items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0)
    return { id: randomUUID(), customerId: body.customerId, items: body.items, total }
  }
  app.post<{ Body: Body }>('/bench/orders-only', { schema: { body: CreateOrderBody, response: Created } }, async (request, reply) => {
    const row = order(request.body)
    await app.outbox.db.transaction(async (tx) => { await tx.insert(orders).values(row) })
    return await reply.code(201).send({ id: row.id, status: 'pending', correlationId: request.outbox.correlationId })
  })
  const withNotify = (inTransaction: boolean) => async (request: FastifyRequest<{ Body: Body }>, reply: FastifyReply) => {
    const row = order(request.body)
    await request.outbox.transaction(async (tx) => {
      await tx.insert(orders).values(row)
      request.outbox.add(OrderCreated.create({ orderId: row.id, customerId: row.customerId, items: row.items, total: row.total }))
      if (inTransaction) await tx.execute(sql`select pg_notify('outbox', '')`)
    })
    if (!inTransaction) await app.outbox.db.execute(sql`select pg_notify('outbox', '')`)
    return await reply.code(201).send({ id: row.id, status: 'pending', correlationId: request.outbox.correlationId })
  }
  app.post<{ Body: Body }>('/bench/orders-notify-in-tx', { schema: { body: CreateOrderBody, response: Created } }, withNotify(true))
  app.post<{ Body: Body }>('/bench/orders-notify-after', { schema: { body: CreateOrderBody, response: Created } }, withNotify(false))
}

const channel = workerChannel()
const database = openPostgres({ url: process.env.BENCH_DB_URL!, max: Number(process.env.BENCH_POOL ?? 16), applicationName: process.env.BENCH_APP_NAME ?? 'bench-order-server' })
const app = Fastify({ logger: false, genReqId: correlatedRequestId(), bodyLimit: 64 * 1024, ajv: { customOptions: { removeAdditional: false } } })
await app.register(outboxPlugin, { db: database.db, source: SERVICE_NAME, events: demoEvents, projector: false, retention: false, notify: process.env.BENCH_NOTIFY === 'true' })
await app.register(orderRoutes)
variantRoutes(app)
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
channel.on('stop', async () => {
  await app.close()
  await database.close()
  process.exit(0)
})
await channel.send({ type: 'ready', port: typeof address === 'object' && address !== null ? address.port : 0 })
