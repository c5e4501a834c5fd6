import { Type } from '@sinclair/typebox'
import t from 'tap'
import { defineEvent, EventCatalog, JsonCodec, PulsarBus, pulsarAdmin, type EventDefinition } from '../../support/library.js'
import { AvroCodec } from '../../../plugin/codec/avro/index.js'
import { freshNamespace, testBrokerConfig } from '../../support/pulsar-namespace.js'
import { brokerSkipReason } from './broker.js'
import { envelopeOf, startedBus } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'
import { driverUnderTest } from '../../support/pulsar-driver.js'

/**
 * The schemaRegistry option on the real broker: the first publish to a topic registers its
 * schema (GET …/schema shows it), a compatible change (an event type added to a topic) is
 * accepted, and an incompatible one stops the bus at start with a clear error.
 */

const skip = await brokerSkipReason()
const admin = pulsarAdmin(testBrokerConfig(), { timeoutMs: 10_000 })

const topic = 'order-events'
const OrderCreated = defineEvent('order.OrderCreated', Type.Object({ orderId: Type.String(), total: Type.Integer() }), { topic })
const OrderCancelled = defineEvent('order.OrderCancelled', Type.Object({ orderId: Type.String() }), { topic })
const OrderCreatedBroken = defineEvent('order.OrderCreated', Type.Object({ orderId: Type.String(), total: Type.String() }), { topic })

interface RegisteredSchema { version: number, type: string, data: string }

async function registered (namespace: string): Promise<RegisteredSchema> {
  return await admin.request('GET', `/admin/v2/schemas/public/${namespace}/${topic}/schema`) as RegisteredSchema
}

function busOptions (namespace: string, events: Array<EventDefinition<string, any>>, codec: 'avro' | 'json') {
  return {
    namespace,
    schemaRegistry: true,
    catalog: new EventCatalog(events),
    codec: codec === 'avro' ? new AvroCodec({ events }) : new JsonCodec()
  }
}

t.test('Avro: the first publish registers the topic schema; adding an event type is accepted; a breaking change stops start', { skip }, async (t) => {
  const namespace = await freshNamespace(t)
  const first = await startedBus(t, busOptions(namespace, [OrderCreated], 'avro'))
  await first.publish(envelopeOf(OrderCreated.type, { orderId: 'o-1', total: 5 }))
  const v0 = await registered(namespace)
  t.equal(v0.type, 'AVRO')
  t.same(JSON.parse(v0.data), (first as unknown as { options: { codec: AvroCodec } }).options.codec.topicSchema(topic), 'the schema the codec writes')

  const second = await startedBus(t, busOptions(namespace, [OrderCreated, OrderCancelled], 'avro'))
  await second.publish(envelopeOf(OrderCancelled.type, { orderId: 'o-1' }))
  const v1 = await registered(namespace)
  t.equal(v1.version, v0.version + 1, 'a new version')
  t.same(JSON.parse(v1.data).fields.map((field: { name: string }) => field.name).slice(-2), ['order_OrderCancelled', 'order_OrderCreated'], 'the added event type is in it')

  const broken = new PulsarBus({ ...testBrokerConfig(namespace), source: 'svc', driver: driverUnderTest, connectTimeoutMs: 5000, ...busOptions(namespace, [OrderCreatedBroken, OrderCancelled], 'avro') })
  t.teardown(async () => await broken.stop())
  await t.rejects(broken.start(), { code: 'PULSAR_SCHEMA_INCOMPATIBLE', message: /refuses the schema of topic order-events \(compatibility strategy FULL\): .*Unable to read schema\. Make the change compatible/ })
  t.equal((await registered(namespace)).version, v1.version, 'nothing was registered')
})

t.test('JSON: the envelope with a union of payloads is registered; under FULL a new event type is refused, under BACKWARD_TRANSITIVE accepted', { skip }, async (t) => {
  const namespace = await freshNamespace(t)
  const first = await startedBus(t, busOptions(namespace, [OrderCreated], 'json'))
  await first.publish(envelopeOf(OrderCreated.type, { orderId: 'o-1', total: 5 }))
  const v0 = await registered(namespace)
  t.equal(v0.type, 'JSON')
  t.match(JSON.parse(v0.data).fields.at(-1), { name: 'payload', type: [{ name: 'order.OrderCreated' }] })

  const wider = new PulsarBus({ ...testBrokerConfig(namespace), source: 'svc', driver: driverUnderTest, connectTimeoutMs: 5000, ...busOptions(namespace, [OrderCreated, OrderCancelled], 'json') })
  t.teardown(async () => await wider.stop())
  await t.rejects(wider.start(), { code: 'PULSAR_SCHEMA_INCOMPATIBLE' }, 'a union branch added is not forward compatible')

  await admin.request('PUT', `/admin/v2/namespaces/public/${namespace}/schemaCompatibilityStrategy`, 'BACKWARD_TRANSITIVE')
  await wider.start()
  await wider.publish(envelopeOf(OrderCancelled.type, { orderId: 'o-1' }))
  t.equal((await registered(namespace)).version, v0.version + 1)
})

t.test('Avro readers find the schema of an older or newer writer in the registry, and resolve its payload to their own', { skip }, async (t) => {
  const namespace = await freshNamespace(t)
  const v2 = defineEvent('order.OrderCreated', Type.Object({ orderId: Type.String(), total: Type.Integer(), currency: Type.String({ default: 'EUR' }) }), { topic })
  const oldWriter = await startedBus(t, busOptions(namespace, [OrderCreated], 'avro'))
  await oldWriter.publish(envelopeOf(OrderCreated.type, { orderId: 'o-1', total: 5 }))
  const newWriter = await startedBus(t, busOptions(namespace, [v2], 'avro'))
  await newWriter.publish(envelopeOf(v2.type, { orderId: 'o-2', total: 7, currency: 'CHF' }))
  t.equal((await registered(namespace)).version, 1, 'the field added with a default was accepted under FULL')

  for (const [name, definition, expected] of [
    ['old reader', OrderCreated, [{ orderId: 'o-1', total: 5 }, { orderId: 'o-2', total: 7 }]],
    ['new reader', v2, [{ orderId: 'o-1', total: 5, currency: 'EUR' }, { orderId: 'o-2', total: 7, currency: 'CHF' }]]
  ] as const) {
    const reader = await startedBus(t, { ...busOptions(namespace, [definition], 'avro'), source: `${name.replace(' ', '-')}-${namespace}` })
    const handled = new Mailbox<unknown>()
    await reader.subscribe(definition, (envelope) => handled.put(envelope.payload))
    const payloads = await handled.take(2, `${name}: both messages`)
    // Unkeyed events are handled concurrently: the one whose writer schema is looked up may come second.
    const byOrder = (a: unknown, b: unknown): number => String((a as { orderId: string }).orderId).localeCompare((b as { orderId: string }).orderId)
    t.same(payloads.sort(byOrder), expected, `${name}: each message resolved from its writer's schema`)
  }
})
