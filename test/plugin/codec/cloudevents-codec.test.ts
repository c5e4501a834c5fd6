import t from 'tap'
import { createEnvelope, MemoryBus, type MessageEnvelope } from '../../support/library.js'
import { CloudEventsCodec } from '../../../plugin/codec/cloudevents/index.js'
import { waitFor } from '../../support/wait.js'

const bare = createEnvelope({ eventType: 'shop.OrderShipped', payload: { orderId: 'o-1' }, source: 'shop' })

t.test('both modes give back an envelope without optional fields as it was', async (t) => {
  for (const mode of ['structured', 'binary'] as const) {
    const codec = new CloudEventsCodec({ mode })
    t.same(codec.decode(codec.encode(bare), codec.contentTypeOf(), codec.propertiesOf(bare)), bare, mode)
  }
  t.same(Object.keys(new CloudEventsCodec({ mode: 'binary' }).propertiesOf(bare)).sort(), ['ce_eventversion', 'ce_id', 'ce_source', 'ce_specversion', 'ce_time', 'ce_type'])
})

t.test('what is not a CloudEvent we can read is a malformed message naming why', async (t) => {
  const codec = new CloudEventsCodec()
  const structured = (document: unknown): Buffer => Buffer.from(JSON.stringify(document))
  t.throws(() => codec.decode(structured({ specversion: '0.3', id: 'e', source: 's', type: 'a.B', time: bare.occurredAt, data: {} })), { code: 'OUTBOX_MALFORMED_MESSAGE', message: /specversion "0\.3" is not 1\.0/ })
  t.throws(() => codec.decode(structured({ specversion: '1.0', id: 'e', source: 's', type: 'a.B', data: {} })), { message: /has no time/ })
  t.throws(() => codec.decode(structured({ specversion: '1.0', id: 'e', source: 's', type: 'com.example.thing', time: bare.occurredAt, data: {} })), { message: /eventType "com\.example\.thing" is not a \{domain\}\.\{EventName\} name/ })
  t.throws(() => codec.decode(structured([1])), { message: /must be a JSON object/ })
  t.throws(() => codec.decode(Buffer.from('<xml/>'), 'application/xml', { ce_specversion: '1.0' }), { message: /binary-mode CloudEvent data of content type application\/xml/ })
  t.throws(() => new CloudEventsCodec({ mode: 'both' as 'binary' }), { code: 'OUTBOX_INVALID_OPTIONS' })
})

t.test('a bus reads binary-mode CloudEvents by their ce_specversion property, next to its JSON envelopes', async (t) => {
  const received: MessageEnvelope[] = []
  const bus = new MemoryBus({ source: 'shop', codecs: [new CloudEventsCodec()] })
  t.teardown(async () => await bus.stop())
  await bus.subscribe(bare.eventType, (envelope) => { received.push(envelope) })
  await bus.start()
  const binary = new CloudEventsCodec({ mode: 'binary' })
  const event = createEnvelope({ ...bare, eventId: 'ce-1', correlationId: 'c-1' })
  bus.publishRaw(bare.eventType, binary.encode(event), null, binary.contentTypeOf(), binary.propertiesOf(event))
  await bus.publish(bare)
  await waitFor(() => received.length === 2, 'both events')
  t.same(received.map((envelope) => [envelope.eventId, envelope.correlationId]).sort(), [['ce-1', 'c-1'], [bare.eventId, null]].sort())
})
