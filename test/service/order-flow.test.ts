import { sql } from 'drizzle-orm'
import t from 'tap'
import { queryRows } from '../../plugin/database/database.js'
import { MemoryBus } from '../support/library.js'
import { SERVICE_NAME } from '../../service/app.js'
import { DATABASE_KINDS, freshDatabase } from '../support/databases.js'
import { apple, eventsOfOrder, orderStatus, placeOrder, startOrderService, waitForSettled } from '../support/order-service.js'
import { waitFor } from '../support/wait.js'

for (const kind of DATABASE_KINDS) {
  t.test(`the order loop on ${kind}`, async (t) => {
    const database = await freshDatabase(t, kind, { orderService: true })
    const app = await startOrderService(t, database.db)

    t.test('an order is confirmed through the outbox and back', async (t) => {
      const started = Date.now()
      const id = await placeOrder(app, [apple(2), { sku: 'pear', quantity: 1, unitPrice: 90 }], 'checkout-123')
      t.equal(await orderStatus(app, id), 'pending', 'the POST answers before the loop closes')
      t.equal(await waitForSettled(app, id), 'confirmed')
      // How fast is for the benchmarks (bench/scenarios/e2e-latency.ts), not for a test on a busy machine.
      t.comment(`confirmed in ${Date.now() - started} ms`)
      const order = (await app.inject(`/orders/${id}`)).json()
      t.match(order, { id, customerId: 'cust-1', total: 330, rejectionReason: null, items: [{ sku: 'apple', quantity: 2, unitPrice: 120 }, { sku: 'pear' }] })
      t.match(order.createdAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    })

    t.test('every event carries the request\'s correlation id and causation ids link the chain', async (t) => {
      const id = await placeOrder(app, [apple(1)], 'checkout-456')
      await waitForSettled(app, id)
      await waitFor(async () => (await eventsOfOrder(database.db, id)).every((e) => e.status === 'published'), 'the chain to be published')
      const [created, reserved, confirmed] = await eventsOfOrder(database.db, id)
      t.match([created, reserved, confirmed], [
        { event_type: 'order.OrderCreated', correlation_id: 'checkout-456', causation_id: null },
        { event_type: 'inventory.StockReserved', correlation_id: 'checkout-456', causation_id: created!.event_id },
        { event_type: 'order.OrderConfirmed', correlation_id: 'checkout-456', causation_id: reserved!.event_id }
      ])
    })

    t.test('an order for more than the stock is rejected, with the reason', async (t) => {
      const id = await placeOrder(app, [{ sku: 'truffle', quantity: 11, unitPrice: 5000 }])
      t.equal(await waitForSettled(app, id), 'rejected')
      t.match((await app.inject(`/orders/${id}`)).json(), { rejectionReason: 'insufficient stock for truffle: 10 left, 11 wanted' })
      const types = (await eventsOfOrder(database.db, id)).map((e) => e.event_type)
      t.same(types, ['order.OrderCreated', 'inventory.StockRejected', 'order.OrderRejected'])
    })

    t.test('an unknown SKU is rejected too', async (t) => {
      const id = await placeOrder(app, [{ sku: 'durian', quantity: 1, unitPrice: 1 }])
      t.equal(await waitForSettled(app, id), 'rejected')
      t.match((await app.inject(`/orders/${id}`)).json(), { rejectionReason: 'unknown SKU durian' })
    })

    t.test('cancelling gives the stock back once, even when it races the reservation', async (t) => {
      const available = async (): Promise<number> => (await queryRows<{ available: number }>(database.db, sql`select available from stock where sku = 'plum'`))[0]!.available
      const before = await available()
      const settledFirst = await placeOrder(app, [{ sku: 'plum', quantity: 3, unitPrice: 10 }])
      t.equal(await waitForSettled(app, settledFirst), 'confirmed')
      t.equal(await available(), before - 3)
      const cancel = await app.inject({ method: 'POST', url: `/orders/${settledFirst}/cancel` })
      t.same(cancel.json(), { id: settledFirst, status: 'cancelled' })
      // Cancelled before inventory even saw the order: OrderCreated is still handled first.
      const racing = await placeOrder(app, [{ sku: 'plum', quantity: 5, unitPrice: 10 }])
      t.equal((await app.inject({ method: 'POST', url: `/orders/${racing}/cancel` })).statusCode, 200)
      await waitFor(async () => (await eventsOfOrder(database.db, racing)).some((e) => e.event_type === 'inventory.StockReleased'), 'the racing order\'s stock to be released')
      await waitFor(async () => (await eventsOfOrder(database.db, settledFirst)).some((e) => e.event_type === 'inventory.StockReleased'), 'the first order\'s stock to be released')
      t.equal(await available(), before, 'all plums are back')
      t.equal(await orderStatus(app, racing), 'cancelled', 'a late StockReserved does not resurrect a cancelled order')
      const again = await app.inject({ method: 'POST', url: `/orders/${racing}/cancel` })
      t.equal(again.statusCode, 409)
      t.match(again.json(), { message: /is cancelled; only pending or confirmed orders can be cancelled/ })
      t.equal((await app.inject({ method: 'POST', url: '/orders/01a217e1-dbed-72c0-a5ec-564116591b2a/cancel' })).statusCode, 404)
    })

    t.test('health reports readiness and the outbox backlog', async (t) => {
      const health = (await app.inject('/health')).json()
      t.match(health, { status: 'ok', ready: true, bus: { kind: 'memory', started: true }, projector: { running: true }, outbox: { pending: Number, failed: 0, blockedKeys: [] } })
    })
  })
}

t.test('stopping with orders in flight loses none: a restart finishes them all', async (t) => {
  const database = await freshDatabase(t, 'postgres', { orderService: true })
  // One bus object across both runs, standing in for a broker that outlives the service.
  const bus = new MemoryBus({ source: SERVICE_NAME, retryDelayMs: 20 })
  const first = await startOrderService(t, database.db, bus)
  const ids = await Promise.all(Array.from({ length: 40 }, async () => await placeOrder(first, [apple(1)])))
  await first.close()
  const second = await startOrderService(t, database.db, bus)
  for (const id of ids) t.equal(await waitForSettled(second, id), 'confirmed', `order ${id.slice(-6)}`)
})
