import { context, SpanKind, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import t from 'tap'
import { PulsarBus } from '../support/library.js'
import { buildOrderService, SERVICE_NAME } from '../../service/app.js'
import { seedStock } from '../../service/seed.js'
import { freshDatabase } from '../support/databases.js'
import { apple, eventsOfOrder, placeOrder, waitForSettled } from '../support/order-service.js'
import { freshNamespace, testBrokerConfig } from '../support/pulsar-namespace.js'
import { waitFor } from '../support/wait.js'

/**
 * One trace follows an order, on the real broker: the HTTP request (@fastify/otel), the outbox
 * row (its stored traceparent), the projector's publish, the inventory handler, the publish of its
 * StockReserved, the order handler that confirms the order and the publish of OrderConfirmed.
 * The application brings the SDK (here with an in-memory exporter); the library uses only
 * @opentelemetry/api.
 */

t.setTimeout(300_000)

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
const contextManager = new AsyncLocalStorageContextManager().enable()
context.setGlobalContextManager(contextManager)
trace.setGlobalTracerProvider(provider)
t.teardown(async () => {
  await provider.shutdown()
  context.disable()
  trace.disable()
})

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId

t.test('one trace from POST /orders through the inventory handler to the order\'s confirmation', async (t) => {
  const database = await freshDatabase(t, 'postgres', { orderService: true })
  const namespace = await freshNamespace(t)
  const bus = new PulsarBus({ ...testBrokerConfig(namespace), source: SERVICE_NAME, retryDelayMs: 100 })
  await seedStock(database.db)
  const otel = new FastifyOtelInstrumentation()
  otel.setTracerProvider(provider)
  const app = await buildOrderService({ db: database.db, bus, projector: { pollIntervalMs: 200 }, instrumentation: otel.plugin() })
  t.teardown(() => app.close())
  await app.ready()

  const orderId = await placeOrder(app, [apple()], 'trace-1')
  t.equal(await waitForSettled(app, orderId, 30_000), 'confirmed')
  await waitFor(async () => (await eventsOfOrder(database.db, orderId)).every((row) => row.status === 'published'), 'OrderConfirmed to be published', 30_000)
  await waitFor(() => exporter.getFinishedSpans().some((span) => span.name === 'send order-events' && span.attributes['fastify_outbox.event_type'] === 'order.OrderConfirmed'), 'the last publish span', 10_000)

  const spans = exporter.getFinishedSpans()
  const request = spans.find((span) => span.kind === SpanKind.SERVER && span.attributes['http.request.method'] === 'POST' && span.attributes['http.route'] === '/orders')
  t.ok(request, `the span of POST /orders (${spans.map((span) => `${span.name} ${JSON.stringify(span.attributes['http.route'])}`).join(', ')})`)
  const traceId = request!.spanContext().traceId
  const inTrace = spans.filter((span) => span.spanContext().traceId === traceId)
  const find = (name: string, eventType: string): ReadableSpan => {
    const found = inTrace.find((span) => span.name === name && span.attributes['fastify_outbox.event_type'] === eventType)
    if (found === undefined) throw new Error(`no span "${name}" for ${eventType} in the trace: ${inTrace.map((span) => `${span.name}/${String(span.attributes['fastify_outbox.event_type'])}`).join(', ')}`)
    return found
  }

  const sendCreated = find('send order-events', 'order.OrderCreated')
  const reserve = find('process order-events', 'order.OrderCreated')
  const sendReserved = find('send inventory-events', 'inventory.StockReserved')
  const confirm = find('process inventory-events', 'inventory.StockReserved')
  const sendConfirmed = find('send order-events', 'order.OrderConfirmed')
  t.ok(inTrace.some((span) => span.spanContext().spanId === parentOf(sendCreated)), 'the publish of OrderCreated is a child of a span of the request (the row\'s traceparent)')
  t.equal(parentOf(reserve), sendCreated.spanContext().spanId, 'the inventory handler is a child of that publish: the traceparent crossed the broker')
  t.equal(parentOf(sendReserved), reserve.spanContext().spanId, 'the handler\'s StockReserved row carries the handler\'s trace')
  t.equal(parentOf(confirm), sendReserved.spanContext().spanId, 'the order handler continues it')
  t.equal(parentOf(sendConfirmed), confirm.spanContext().spanId, 'and the confirmation\'s publish ends it')

  t.equal(sendCreated.kind, SpanKind.PRODUCER)
  t.match(sendCreated.attributes, {
    'messaging.system': 'pulsar',
    'messaging.destination.name': 'order-events',
    'messaging.operation.type': 'send',
    'messaging.message.id': String,
    'messaging.message.conversation_id': 'trace-1'
  }, 'publish spans follow the messaging semantic conventions')
  t.equal(reserve.kind, SpanKind.CONSUMER)
  t.match(reserve.attributes, { 'messaging.system': 'pulsar', 'messaging.destination.name': 'order-events', 'messaging.operation.type': 'process', 'messaging.consumer.group.name': 'inventory', 'messaging.message.id': sendCreated.attributes['messaging.message.id'] }, 'and so do handler spans')
})
