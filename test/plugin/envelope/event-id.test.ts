import t from 'tap'
import { createEnvelope, newEventId } from '../../support/library.js'

t.test('event ids are RFC 9562 UUIDv7', async (t) => {
  const id = newEventId()
  t.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
})

const millisOf = (id: string): number => parseInt(id.replace(/-/g, '').slice(0, 12), 16)

t.test('event ids carry their creation time in the first 48 bits', async (t) => {
  const before = Date.now()
  const id = newEventId()
  const after = Date.now()
  t.ok(millisOf(id) >= before && millisOf(id) <= after + 1, `timestamp ${millisOf(id)} lies in [${before}, ${after}]`)
})

t.test('a clock that steps back does not make ids go back', async (t) => {
  const first = newEventId(Date.now() + 60_000)
  const second = newEventId(Date.now())
  t.ok(second > first, 'the later id sorts after the earlier one')
})

t.test('ids made in one process sort in creation order, even within one millisecond', async (t) => {
  const ids = Array.from({ length: 20_000 }, () => newEventId())
  const sorted = [...ids].sort()
  t.same(sorted, ids)
  t.equal(new Set(ids).size, ids.length, 'all distinct')
})

t.test('createEnvelope fills id, time and defaults', async (t) => {
  const envelope = createEnvelope({ eventType: 'order.OrderCreated', payload: { a: 1 }, source: 'svc' })
  t.match(envelope, { eventType: 'order.OrderCreated', source: 'svc', version: '1.0', correlationId: null, causationId: null, partitionKey: null, headers: {} })
  t.ok(!Number.isNaN(Date.parse(envelope.occurredAt)))
  t.equal(createEnvelope({ eventType: 'a.B', payload: 1, source: 's', occurredAt: new Date(0) }).occurredAt, '1970-01-01T00:00:00.000Z')
})

t.test('createEnvelope refuses bad fields, naming them', async (t) => {
  t.throws(() => createEnvelope({ eventType: 'OrderCreated', payload: {}, source: 's' }), { code: 'OUTBOX_INVALID_ENVELOPE', message: /eventType "OrderCreated"/ })
  t.throws(() => createEnvelope({ eventType: 'a.B', payload: {}, source: '' }), { code: 'OUTBOX_INVALID_ENVELOPE', message: /source/ })
  t.throws(() => createEnvelope({ eventType: 'a.B', payload: undefined, source: 's' }), { message: /payload is missing/ })
  t.throws(() => createEnvelope({ eventType: 'a.B', payload: {}, source: 's', occurredAt: 'yesterday' }), { message: /occurredAt/ })
  t.throws(() => createEnvelope({ eventType: 'a.B', payload: {}, source: 's', correlationId: 'x'.repeat(201) }), { message: /correlationId/ })
  t.throws(() => createEnvelope({ eventType: 'a.B', payload: {}, source: 's', headers: { n: 1 as unknown as string } }), { message: /header n/ })
})
