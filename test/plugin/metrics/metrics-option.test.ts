import Fastify from 'fastify'
import { Registry } from 'prom-client'
import t from 'tap'
import { createEnvelope, MemoryBus, outboxPlugin } from '../../support/library.js'
import { freshDatabase } from '../../support/databases.js'
import { AccountCredited } from '../../support/events.js'
import { parsePrometheusText, sumOf } from '../../support/prometheus-text.js'
import { waitFor } from '../../support/wait.js'

/** The plugin's `metrics` option: off by default, dead letters and inbox duplicates counted, bad settings refused. */

t.test('off by default: no /metrics route', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(outboxPlugin, { db: database.db, source: 'ledger' })
  t.equal((await app.inject('/metrics')).statusCode, 404)
})

t.test('dead letters and duplicates absorbed by the inbox are counted, in a registry of the caller', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  const registry = new Registry()
  const bus = new MemoryBus({ source: 'ledger', retryDelayMs: 1, maxRedeliveries: 1 })
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(outboxPlugin, { db: database.db, source: 'ledger', bus, events: [AccountCredited], metrics: { registry, path: '/internal/metrics' } })
  await app.inbox.subscribe(AccountCredited, async (event) => {
    if (event.payload.amount < 0) throw new Error('negative credit')
  }, { consumer: 'ledger.credit' })
  await app.ready()

  const good = createEnvelope({ eventType: AccountCredited.type, payload: { account: 'a', seq: 0, amount: 1 }, source: 'ledger' })
  const bad = createEnvelope({ eventType: AccountCredited.type, payload: { account: 'a', seq: 1, amount: -1 }, source: 'ledger' })
  await bus.publish(good)
  await bus.publish(good)
  await bus.publish(bad)
  await waitFor(async () => bus.deadLetters.length === 1 && app.inbox.stats.duplicates === 1, 'one dead letter and one duplicate')

  const response = await app.inject('/internal/metrics')
  t.equal(response.statusCode, 200)
  const samples = parsePrometheusText(response.body)
  t.same(samples, parsePrometheusText(await registry.metrics()), 'the route serves the registry it was given')
  t.equal(sumOf(samples, 'outbox_dead_letters_total', { event_type: AccountCredited.type, subscription: 'ledger' }), 1, 'one dead letter')
  t.equal(sumOf(samples, 'outbox_inbox_duplicates_total', { event_type: AccountCredited.type, consumer: 'ledger.credit' }), 1, 'one duplicate absorbed')
  t.equal(sumOf(samples, 'outbox_handler_duration_seconds_count', { outcome: 'retry' }), 1, 'the failing handler: one retry')
  t.equal(sumOf(samples, 'outbox_handler_duration_seconds_count', { outcome: 'dead_letter' }), 1, 'then dead-lettered')
  t.equal(sumOf(samples, 'outbox_handler_duration_seconds_count', { outcome: 'success' }), 2, 'the good event and its duplicate: two deliveries handled')
})

t.test('a metrics path that is no route is refused with the fix', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  const app = Fastify()
  t.teardown(() => app.close())
  await t.rejects(async () => { await app.register(outboxPlugin, { db: database.db, source: 'ledger', metrics: { path: 'metrics' } }) },
    { code: 'OUTBOX_INVALID_OPTIONS', message: /metrics\.path must be a route starting with "\/", or false for none, got "metrics"/ })
})
