import t from 'tap'
import { createEnvelope, JsonCodec } from '../../support/library.js'

const envelope = createEnvelope({
  eventType: 'order.OrderCreated',
  payload: { orderId: 'o-1', items: [{ sku: 'apple', quantity: 2 }] },
  source: 'order-service',
  correlationId: 'corr-1',
  causationId: 'cause-1',
  partitionKey: 'o-1',
  headers: { traceparent: '00-abc-def-01' }
})

t.test('encode then decode gives the same envelope', async (t) => {
  const codec = new JsonCodec()
  t.same(codec.decode(codec.encode(envelope)), envelope)
})

t.test('the wire format uses the guide\'s snake_case field names', async (t) => {
  const wire = JSON.parse(new JsonCodec().encode(envelope).toString('utf8'))
  t.same(Object.keys(wire).sort(), ['causation_id', 'correlation_id', 'event_id', 'event_type', 'headers', 'occurred_at', 'partition_key', 'payload', 'source', 'version'])
  t.equal(wire.event_type, 'order.OrderCreated')
})

t.test('decodes a minimal message from another producer, filling optional fields', async (t) => {
  const bytes = Buffer.from(JSON.stringify({ event_id: 'e-1', event_type: 'user.UserRegistered', occurred_at: '2025-11-04T10:00:00Z', source: 'py-svc', version: '1.0', payload: { id: 7 } }))
  t.match(new JsonCodec().decode(bytes), { eventId: 'e-1', correlationId: null, causationId: null, partitionKey: null, headers: {} })
})

t.test('indent pretty-prints and is checked', async (t) => {
  t.match(new JsonCodec({ indent: 2 }).encode(envelope).toString('utf8'), /\n {2}"event_id"/)
  t.throws(() => new JsonCodec({ indent: -1 }), RangeError)
})

t.test('garbage and wrong shapes fail with a typed error naming the problem', async (t) => {
  const codec = new JsonCodec()
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['not JSON', Buffer.from('{oops'), /not JSON/],
    ['random bytes', Buffer.from([0xff, 0x00, 0x13, 0x37]), /not JSON/],
    ['an array', Buffer.from('[1,2]'), /expected a JSON object, got an array/],
    ['null', Buffer.from('null'), /got null/],
    ['no event id', Buffer.from(JSON.stringify({ event_type: 'a.B', occurred_at: '2025-01-01T00:00:00Z', source: 's', version: '1', payload: {} })), /eventId/],
    ['bad event type', Buffer.from(JSON.stringify({ event_id: 'e', event_type: 'nope', occurred_at: '2025-01-01T00:00:00Z', source: 's', version: '1', payload: {} })), /eventType "nope"/],
    ['no payload', Buffer.from(JSON.stringify({ event_id: 'e', event_type: 'a.B', occurred_at: '2025-01-01T00:00:00Z', source: 's', version: '1' })), /payload is missing/],
    ['bad date', Buffer.from(JSON.stringify({ event_id: 'e', event_type: 'a.B', occurred_at: 'soon', source: 's', version: '1', payload: {} })), /occurredAt/]
  ]
  for (const [name, bytes, message] of cases) {
    t.throws(() => codec.decode(bytes), { code: 'OUTBOX_MALFORMED_MESSAGE', message }, name)
  }
})
