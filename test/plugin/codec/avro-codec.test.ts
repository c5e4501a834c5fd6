import { Type } from '@sinclair/typebox'
import avro from 'avsc'
import t from 'tap'
import { createEnvelope, defineEvent, JsonCodec, MemoryBus, type MessageEnvelope } from '../../support/library.js'
import { AvroCodec, avroFingerprint, payloadSchemaOf } from '../../../plugin/codec/avro/index.js'
import { waitFor } from '../../support/wait.js'

const OrderPlaced = defineEvent('shop.OrderPlaced', Type.Object({
  orderId: Type.String(),
  total: Type.Integer(),
  items: Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer() })),
  note: Type.Optional(Type.String()),
  tags: Type.Record(Type.String(), Type.String()),
  status: Type.Union([Type.Literal('new'), Type.Literal('paid')]),
  discount: Type.Union([Type.Number(), Type.Null()])
}), { topic: 'shop-events', partitionKey: (order) => order.orderId })
const OrderShipped = defineEvent('shop.OrderShipped', Type.Object({ orderId: Type.String() }), { topic: 'shop-events' })

function placed (extra: Partial<MessageEnvelope> = {}): MessageEnvelope {
  return createEnvelope({
    eventType: OrderPlaced.type,
    payload: { orderId: 'o-1', total: 4200, items: [{ sku: 'apple', quantity: 2 }], tags: { channel: 'web' }, status: 'new', discount: null },
    source: 'shop',
    correlationId: 'checkout-1',
    causationId: 'e-0',
    partitionKey: 'o-1',
    headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
    ...extra
  })
}

t.test('encode then decode gives back every envelope field, by the content type it wrote', async (t) => {
  const codec = new AvroCodec({ events: [OrderPlaced, OrderShipped] })
  const envelope = placed()
  const contentType = codec.contentTypeOf(envelope)
  t.match(contentType, /^application\/avro; fingerprint=[0-9a-f]{16}$/)
  t.same(await codec.decode(codec.encode(envelope), contentType), envelope)
  const bare = createEnvelope({ eventType: OrderShipped.type, payload: { orderId: 'o-1' }, source: 'shop' })
  t.same(await codec.decode(codec.encode(bare), codec.contentTypeOf(bare)), bare, 'null ids and no headers')
  const noted = placed({ payload: { ...placed().payload as object, note: 'ring twice', discount: 2.5 } })
  t.same(await codec.decode(codec.encode(noted), contentType), noted, 'optional and nullable fields with values')
})

t.test('the payload schema is derived from TypeBox, and the types of one topic share its schema', async (t) => {
  t.same(payloadSchemaOf(OrderPlaced.type, OrderPlaced.schema), {
    type: 'record',
    name: 'shop.OrderPlaced',
    fields: [
      { name: 'orderId', type: 'string' },
      { name: 'total', type: 'long' },
      { name: 'items', type: { type: 'array', items: { type: 'record', name: 'shop.OrderPlaced_items', fields: [{ name: 'sku', type: 'string' }, { name: 'quantity', type: 'long' }] } } },
      { name: 'note', type: ['null', 'string'], default: null },
      { name: 'tags', type: { type: 'map', values: 'string' } },
      { name: 'status', type: 'string' },
      { name: 'discount', type: ['null', 'double'] }
    ]
  })
  const codec = new AvroCodec({ events: [OrderPlaced, OrderShipped] })
  const fields = codec.topicSchema('shop-events')!.fields.map((field) => field.name)
  t.same(fields, ['event_id', 'event_type', 'occurred_at', 'source', 'correlation_id', 'causation_id', 'version', 'partition_key', 'headers', 'shop_OrderPlaced', 'shop_OrderShipped'])
  t.throws(() => payloadSchemaOf('x.Y', Type.Object({ any: Type.Any() })), { code: 'OUTBOX_AVRO_SCHEMA_UNSUPPORTED', message: /payload\.any is a Any/ })
  t.throws(() => new AvroCodec({ events: [defineEvent('x.Y', Type.Object({ 'unit-price': Type.Integer() }))] }), { code: 'OUTBOX_AVRO_SCHEMA_UNSUPPORTED' })
})

t.test('the fingerprint is the Avro specification\'s CRC-64-AVRO of the canonical form', async (t) => {
  // Test vectors: the fingerprints Java's SchemaNormalization.parsingFingerprint64 gives for these schemas.
  t.equal(avroFingerprint('"int"'), '7275d51a3f395c8f')
  t.equal(avroFingerprint('"string"'), '8f014872634503c7')
})

t.test('schema evolution: a payload field added with a default is read by old and new readers', async (t) => {
  const v1 = defineEvent('shop.OrderShipped', Type.Object({ orderId: Type.String() }), { topic: 'shop-events' })
  const v2 = defineEvent('shop.OrderShipped', Type.Object({ orderId: Type.String(), carrier: Type.String({ default: 'post' }) }), { topic: 'shop-events' })
  const oldCodec = new AvroCodec({ events: [v1] })
  const newCodec = new AvroCodec({ events: [v2], writerSchemas: [oldCodec.topicSchema('shop-events')!] })
  const oldReader = new AvroCodec({ events: [v1], writerSchemas: [newCodec.topicSchema('shop-events')!] })

  const old = createEnvelope({ eventType: v1.type, payload: { orderId: 'o-1' }, source: 'shop' })
  const fresh = createEnvelope({ eventType: v2.type, payload: { orderId: 'o-2', carrier: 'dhl' }, source: 'shop' })
  t.same((await newCodec.decode(oldCodec.encode(old), oldCodec.contentTypeOf(old))).payload, { orderId: 'o-1', carrier: 'post' }, 'the new reader fills the default')
  t.same((await oldReader.decode(newCodec.encode(fresh), newCodec.contentTypeOf(fresh))).payload, { orderId: 'o-2' }, 'the old reader skips the new field')
  t.ok(v1.check((await oldReader.decode(newCodec.encode(fresh), newCodec.contentTypeOf(fresh))).payload), 'and its payload passes the old schema')
})

t.test('schema evolution: a breaking change is refused with a typed error, and an unknown writer schema named', async (t) => {
  const v1 = defineEvent('shop.OrderShipped', Type.Object({ orderId: Type.String() }), { topic: 'shop-events' })
  const broken = defineEvent('shop.OrderShipped', Type.Object({ orderId: Type.Integer() }), { topic: 'shop-events' })
  const writer = new AvroCodec({ events: [broken] })
  const reader = new AvroCodec({ events: [v1], writerSchemas: [writer.topicSchema('shop-events')!] })
  const envelope = createEnvelope({ eventType: v1.type, payload: { orderId: 7 }, source: 'shop' })
  await t.rejects(async () => await reader.decode(writer.encode(envelope), writer.contentTypeOf(envelope)),
    { code: 'OUTBOX_SCHEMA_INCOMPATIBLE', message: /Schema of shop\.OrderShipped is incompatible: the writer's payload schema \(fingerprint [0-9a-f]{16}\) cannot be read as this reader's/ })
  const stranger = new AvroCodec({ events: [v1] })
  await t.rejects(async () => await stranger.decode(writer.encode(envelope), writer.contentTypeOf(envelope)),
    { code: 'OUTBOX_AVRO_UNKNOWN_WRITER_SCHEMA', message: /fingerprint [0-9a-f]{16}/ })
})

t.test('bad bytes and a content type without a fingerprint are malformed messages', async (t) => {
  const codec = new AvroCodec({ events: [OrderPlaced] })
  const contentType = codec.contentTypeOf(placed())
  await t.rejects(async () => await codec.decode(Buffer.from('not avro at all'), contentType), { code: 'OUTBOX_MALFORMED_MESSAGE', message: /not Avro of its writer schema/ })
  await t.rejects(async () => await codec.decode(codec.encode(placed()), 'application/avro'), { code: 'OUTBOX_MALFORMED_MESSAGE', message: /names no writer schema/ })
  t.throws(() => codec.encode(createEnvelope({ eventType: 'shop.Unknown', payload: {}, source: 'shop' })), { code: 'OUTBOX_AVRO_UNKNOWN_EVENT' })
  t.throws(() => codec.encode(placed({ payload: { orderId: 1 } })), { code: 'OUTBOX_INVALID_PAYLOAD', message: /does not fit its Avro schema at payload\.orderId, payload\.total/ })
})

t.test('the body is plain Avro binary of the topic schema, as Pulsar\'s AVRO schema type reads it', async (t) => {
  const codec = new AvroCodec({ events: [OrderPlaced, OrderShipped] })
  const generic = avro.Type.forSchema(codec.topicSchema('shop-events') as avro.Schema)
  const record = generic.fromBuffer(codec.encode(placed()))
  t.match(record, { event_type: 'shop.OrderPlaced', correlation_id: 'checkout-1', shop_OrderShipped: null, shop_OrderPlaced: { orderId: 'o-1', total: 4200 } })
})

t.test('one consumer reads a topic whose producers moved from JSON to Avro, each message by its content type', async (t) => {
  const received: MessageEnvelope[] = []
  const consumer = new MemoryBus({ source: 'billing', codec: new AvroCodec({ events: [OrderPlaced] }) })
  t.teardown(async () => await consumer.stop())
  await consumer.subscribe(OrderPlaced, (envelope) => { received.push(envelope) })
  await consumer.start()
  const json = placed({ eventId: 'json-1' })
  const avroEnvelope = placed({ eventId: 'avro-1' })
  const avroCodec = new AvroCodec({ events: [OrderPlaced] })
  consumer.publishRaw('shop-events', new JsonCodec().encode(json), 'o-1', 'application/json')
  consumer.publishRaw('shop-events', avroCodec.encode(avroEnvelope), 'o-1', avroCodec.contentTypeOf(avroEnvelope))
  consumer.publishRaw('shop-events', Buffer.from('{}'), 'o-1', 'application/x-unknown')
  await waitFor(() => received.length === 2 && consumer.deadLetters.length === 1, 'two handled, one dead-lettered')
  t.same(received.map((envelope) => envelope.eventId).sort(), ['avro-1', 'json-1'])
  t.match(consumer.deadLetters[0]!.reason, /no codec of this bus reads content type "application\/x-unknown" \(it reads application\/avro, application\/json\)/)
})
