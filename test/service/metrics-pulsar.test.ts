import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { PulsarBus } from '../support/library.js'
import { SERVICE_NAME } from '../../service/app.js'
import { freshDatabase } from '../support/databases.js'
import { apple, placeOrder, startOrderService, waitForSettled } from '../support/order-service.js'
import { parsePrometheusText, sumOf, type Sample } from '../support/prometheus-text.js'
import { testPulsarInstance } from '../support/pulsar-instance.js'
import { waitFor } from '../support/wait.js'
import { driverUnderTest } from '../support/pulsar-driver.js'

/**
 * The demo service's /metrics while orders flow over a real Pulsar broker of this test's own
 * (it is stopped, never the shared one): the counters and histograms move with the orders, the
 * backlog gauges rise while the broker is away and fall back to zero once it is back.
 */

t.setTimeout(600_000)

async function scrape (app: FastifyInstance): Promise<Sample[]> {
  const response = await app.inject('/metrics')
  if (response.statusCode !== 200) throw new Error(`GET /metrics answered ${response.statusCode}: ${response.body}`)
  if (!String(response.headers['content-type']).startsWith('text/plain; version=0.0.4')) throw new Error(`not Prometheus text: ${String(response.headers['content-type'])}`)
  return parsePrometheusText(response.body)
}

t.test('metrics follow the orders, and the backlog rises during a broker outage and falls after it', async (t) => {
  const broker = await testPulsarInstance(t, { name: 'metrics' })
  const database = await freshDatabase(t, 'postgres', { orderService: true })
  const bus = new PulsarBus({
    serviceUrl: broker.serviceUrl,
    webServiceUrl: broker.webUrl,
    driver: driverUnderTest,
    source: SERVICE_NAME,
    connectTimeoutMs: 3000,
    sendTimeoutMs: 5000,
    reconnectBackoff: { initialMs: 100, maxMs: 2000 },
    retryDelayMs: 100
  })
  const app = await startOrderService(t, database.db, bus)

  const before = await scrape(app)
  t.equal(sumOf(before, 'outbox_pending_rows'), 0, 'nothing pending at the start')
  t.equal(sumOf(before, 'outbox_rows_published_total'), 0, 'nothing published yet')

  // Healthy: three orders go round the loop.
  for (let i = 0; i < 3; i++) t.equal(await waitForSettled(app, await placeOrder(app, [apple()]), 30_000), 'confirmed')
  const flowing = await scrape(app)
  t.ok(sumOf(flowing, 'outbox_rows_published_total', { event_type: 'order.OrderCreated' }) >= 3, 'OrderCreated rows counted as published')
  t.ok(sumOf(flowing, 'outbox_rows_published_total', { event_type: 'inventory.StockReserved' }) >= 3, 'and the StockReserved rows the handlers added')
  t.ok(sumOf(flowing, 'outbox_handler_duration_seconds_count', { event_type: 'order.OrderCreated', subscription: 'inventory', outcome: 'success' }) >= 3, 'the inventory handler ran for each order, successfully')
  t.ok(sumOf(flowing, 'outbox_publish_lag_seconds_count', { event_type: 'order.OrderCreated' }) >= 3, 'commit-to-publish lag observed per row')
  t.ok(sumOf(flowing, 'outbox_projector_batch_duration_seconds_count') >= 1, 'projector batches timed')
  t.equal(sumOf(flowing, 'outbox_dead_letters_total'), 0, 'no dead letters')

  // Outage: orders keep being accepted, their events wait in the outbox.
  await broker.stop({ keepData: true })
  const stranded: string[] = []
  for (let i = 0; i < 5; i++) stranded.push(await placeOrder(app, [apple()]))
  await waitFor(async () => sumOf(await scrape(app), 'outbox_projector_round_errors_total') > 0, 'the projector to fail a round', 60_000)
  await new Promise((resolve) => setTimeout(resolve, 1100))
  const during = await scrape(app)
  t.ok(sumOf(during, 'outbox_pending_rows') >= 5, `the backlog rose to the five stranded orders (${sumOf(during, 'outbox_pending_rows')})`)
  t.ok(sumOf(during, 'outbox_oldest_pending_age_seconds') >= 1, `and its oldest row is aging (${sumOf(during, 'outbox_oldest_pending_age_seconds')} s)`)
  t.equal(sumOf(during, 'outbox_failed_rows'), 0, 'an outage fails no row')

  // Back: the backlog drains and the orders settle.
  await broker.start()
  for (const id of stranded) t.equal(await waitForSettled(app, id, 120_000), 'confirmed', `stranded order ${id.slice(0, 8)} settled`)
  await waitFor(async () => sumOf(await scrape(app), 'outbox_pending_rows') === 0, 'the backlog to drain', 60_000)
  const after = await scrape(app)
  t.equal(sumOf(after, 'outbox_oldest_pending_age_seconds'), 0, 'no pending row left to age')
  t.ok(sumOf(after, 'outbox_rows_published_total', { event_type: 'order.OrderCreated' }) >= 8, 'all eight OrderCreated rows published')
})
