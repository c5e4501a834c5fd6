import { Type } from '@sinclair/typebox'
import t from 'tap'
import { createEnvelope, defineEvent, EventCatalog } from '../../support/library.js'

const OrderCreated = defineEvent('order.OrderCreated', Type.Object({
  orderId: Type.String({ format: 'uuid' }),
  total: Type.Integer({ minimum: 0 })
}), { version: '2.1', partitionKey: (p) => p.orderId })

const orderId = '01a217e1-dbed-72c0-a5ec-564116591b2a'

t.test('names must be {domain}.{EventName}', async (t) => {
  for (const bad of ['OrderCreated', 'order.orderCreated', 'Order.OrderCreated', 'order.', '.OrderCreated', 'order OrderCreated', '']) {
    t.throws(() => defineEvent(bad, Type.Object({})), { code: 'OUTBOX_INVALID_EVENT_NAME' }, bad)
  }
  t.doesNotThrow(() => defineEvent('billing.invoice.InvoicePaid', Type.Object({})))
})

t.test('create() ties the payload to its definition and derives the partition key', async (t) => {
  const event = OrderCreated.create({ orderId, total: 5 })
  t.equal(event.type, 'order.OrderCreated')
  t.equal(event.partitionKey, orderId)
  t.equal(event.definition, OrderCreated)
  t.equal(OrderCreated.create({ orderId, total: 5 }, { partitionKey: 'k' }).partitionKey, 'k')
  t.equal(OrderCreated.version, '2.1')
  t.equal(OrderCreated.topic, 'order.OrderCreated')
})

t.test('payloads are checked against the schema, with readable problems', async (t) => {
  t.ok(OrderCreated.check({ orderId, total: 1 }))
  t.notOk(OrderCreated.check({ orderId: 'not-a-uuid', total: 1 }))
  t.equal(OrderCreated.explain({ orderId, total: 1 }), null)
  t.match(OrderCreated.explain({ orderId: 'x', total: -1 }), /\/orderId .*uuid/)
  t.throws(() => OrderCreated.assertValid({ total: 'many' }), {
    code: 'OUTBOX_INVALID_PAYLOAD',
    statusCode: 400,
    message: /Payload of order\.OrderCreated does not match its schema: .*orderId/
  })
})

t.test('is() recognises envelopes of its type', async (t) => {
  const envelope = createEnvelope({ eventType: 'order.OrderCreated', payload: { orderId, total: 1 }, source: 's' })
  t.ok(OrderCreated.is(envelope))
  t.notOk(OrderCreated.is({ ...envelope, eventType: 'order.OrderShipped' }))
})

t.test('a catalog refuses one type defined twice with different schemas', async (t) => {
  const catalog = new EventCatalog([OrderCreated])
  catalog.register(OrderCreated)
  catalog.register(defineEvent('order.OrderCreated', OrderCreated.schema))
  t.equal(catalog.size, 1)
  t.throws(() => catalog.register(defineEvent('order.OrderCreated', Type.Object({ other: Type.String() }))), { code: 'OUTBOX_DUPLICATE_EVENT' })
  t.equal(catalog.topicOf('order.OrderCreated'), 'order.OrderCreated')
  t.equal(new EventCatalog([defineEvent('order.OrderShipped', Type.Object({}), { topic: 'orders' })]).topicOf('order.OrderShipped'), 'orders')
  t.equal(catalog.topicOf('unknown.Thing'), 'unknown.Thing')
})
