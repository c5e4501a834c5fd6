// A Fastify app with a transactional outbox: the order row and its event commit together, and
// the projector relays the event to the bus. Runs as is on an in-process PostgreSQL (PGlite).
import { Type } from '@sinclair/typebox'
import { sql } from 'drizzle-orm'
import Fastify from 'fastify'
import { defineEvent, outboxMigrations, outboxPlugin } from 'fastify-outbox'
import { openEmbedded } from 'fastify-outbox/pglite'

const OrderPlaced = defineEvent('shop.OrderPlaced', Type.Object({
  orderId: Type.String(),
  total: Type.Integer({ minimum: 0 })
}), { partitionKey: (order) => order.orderId })

// Any Drizzle PostgreSQL database works: drizzle(postgres(url)) in production.
const database = await openEmbedded()
await database.migrate(outboxMigrations) // creates the outbox and inbox tables
await database.db.execute(sql`create table if not exists shop_orders (id text primary key, total int not null)`)

const app = Fastify()
await app.register(outboxPlugin, { db: database.db, source: 'shop', events: [OrderPlaced] })

app.post<{ Body: { id: string, total: number } }>('/orders', async (request, reply) => {
  await request.outbox.transaction(async (tx) => {
    await tx.execute(sql`insert into shop_orders values (${request.body.id}, ${request.body.total})`)
    request.outbox.add(OrderPlaced.create({ orderId: request.body.id, total: request.body.total }))
  })
  return await reply.code(201).send({ id: request.body.id })
})

// Consumers: fastify.bus.subscribe for plain handlers, fastify.inbox.subscribe for exactly-once effects.
const relayed = new Promise<void>((resolve) => {
  void app.bus.subscribe(OrderPlaced, (event) => {
    console.log(`relayed ${event.eventType} for ${event.payload.orderId}, correlation ${event.correlationId}`)
    resolve()
  })
})

await app.ready() // starts the bus, then the projector
const response = await app.inject({ method: 'POST', url: '/orders', payload: { id: 'o-1', total: 4200 }, headers: { 'x-correlation-id': 'checkout-1' } })
console.log(response.statusCode, response.body)
await relayed
await app.close() // stops the projector, then the bus
await database.close()
