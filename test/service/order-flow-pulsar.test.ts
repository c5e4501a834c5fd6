import t from 'tap'
import { pulsarAdmin, PulsarBus } from '../support/library.js'
import { SERVICE_NAME } from '../../service/app.js'
import { freshDatabase } from '../support/databases.js'
import { apple, eventsOfOrder, placeOrder, startOrderService, waitForSettled } from '../support/order-service.js'
import { freshNamespace, testBrokerConfig } from '../support/pulsar-namespace.js'
import { waitFor } from '../support/wait.js'
import { driverUnderTest } from '../support/pulsar-driver.js'

t.test('the order loop over a real Pulsar broker', async (t) => {
  const database = await freshDatabase(t, 'postgres', { orderService: true })
  const namespace = await freshNamespace(t)
  const config = testBrokerConfig(namespace)
  const bus = new PulsarBus({ ...config, source: SERVICE_NAME, driver: driverUnderTest, retryDelayMs: 100 })
  const app = await startOrderService(t, database.db, bus)

  const confirmed = await placeOrder(app, [apple(2)], 'pulsar-checkout-1')
  const rejected = await placeOrder(app, [{ sku: 'truffle', quantity: 50, unitPrice: 1 }])
  t.equal(await waitForSettled(app, confirmed, 30_000), 'confirmed')
  t.equal(await waitForSettled(app, rejected, 30_000), 'rejected')
  const cancel = await app.inject({ method: 'POST', url: `/orders/${confirmed}/cancel` })
  t.equal(cancel.statusCode, 200)
  await waitFor(async () => (await eventsOfOrder(database.db, confirmed)).some((e) => e.event_type === 'inventory.StockReleased' && e.status === 'published'),
    'the stock release to be published', 30_000)

  const chain = await eventsOfOrder(database.db, confirmed)
  t.match(chain.map((e) => [e.event_type, e.correlation_id]), [
    ['order.OrderCreated', 'pulsar-checkout-1'],
    ['inventory.StockReserved', 'pulsar-checkout-1'],
    ['order.OrderConfirmed', 'pulsar-checkout-1'],
    ['order.OrderCancelled', String],
    ['inventory.StockReleased', String]
  ])

  const admin = pulsarAdmin(config)
  const topics = await admin.listTopics()
  t.ok(topics.some((topic) => topic.endsWith(`/${namespace}/order-events`)), 'order events went to their topic')
  t.ok(topics.some((topic) => topic.endsWith(`/${namespace}/inventory-events`)), 'inventory events went to theirs')
  const orderStats = await admin.topicStats('order-events')
  t.ok(orderStats.msgInCounter >= 5, `the broker counted both orders' five order events (${orderStats.msgInCounter})`)
  t.match(orderStats.subscriptions, { inventory: { type: 'Key_Shared' } }, 'inventory reads order events in per-order order')
})
