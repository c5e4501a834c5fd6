import { sql } from 'drizzle-orm'
import type { FastifyInstance } from 'fastify'
import type { Test } from 'tap'
import { outbox as outboxTable, type MessageBus } from './library.js'
import { queryRows, type OutboxDatabase } from '../../plugin/database/database.js'
import { buildOrderService } from '../../service/app.js'
import { seedStock } from '../../service/seed.js'
import { waitFor } from './wait.js'

export const apple = (quantity = 1): { sku: string, quantity: number, unitPrice: number } => ({ sku: 'apple', quantity, unitPrice: 120 })

/** The demo service on a test database, closed when the test ends. */
export async function startOrderService (t: Test, db: OutboxDatabase, bus?: MessageBus): Promise<FastifyInstance> {
  await seedStock(db)
  const app = await buildOrderService({ db, bus, projector: { pollIntervalMs: 200 } })
  t.teardown(() => app.close())
  await app.ready()
  return app
}

export async function placeOrder (app: FastifyInstance, items: Array<{ sku: string, quantity: number, unitPrice: number }>, correlationId?: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/orders',
    payload: { customerId: 'cust-1', items },
    headers: correlationId === undefined ? {} : { 'x-correlation-id': correlationId }
  })
  if (response.statusCode !== 201) throw new Error(`POST /orders answered ${response.statusCode}: ${response.body}`)
  return response.json<{ id: string }>().id
}

export async function orderStatus (app: FastifyInstance, id: string): Promise<string> {
  return (await app.inject(`/orders/${id}`)).json<{ status: string }>().status
}

export async function waitForSettled (app: FastifyInstance, id: string, timeoutMs = 10_000): Promise<string> {
  let status = 'pending'
  await waitFor(async () => (status = await orderStatus(app, id)) !== 'pending', `order ${id} to settle`, timeoutMs)
  return status
}

export interface EventRow {
  event_id: string
  event_type: string
  correlation_id: string | null
  causation_id: string | null
  status: string
}

/** Every outbox row about one order, oldest first. */
export async function eventsOfOrder (db: OutboxDatabase, orderId: string): Promise<EventRow[]> {
  return await queryRows<EventRow>(db, sql`
    select event_id, event_type, correlation_id, causation_id, status from ${outboxTable}
    where partition_key = ${orderId} order by id`)
}
