import { Type } from '@sinclair/typebox'
import t from 'tap'
import { createEnvelope, defineEvent } from '../../support/library.js'
import { ProtobufCodec } from '../../../plugin/codec/protobuf/index.js'
import { FieldType, messageTypes } from '../../support/protobuf-types.js'

const shop = messageTypes('shop', {
  OrderPlaced: [
    { name: 'order_id', number: 1, type: FieldType.STRING },
    { name: 'total', number: 2, type: FieldType.INT64 },
    { name: 'items', number: 3, type: FieldType.MESSAGE, repeated: true, typeName: '.shop.Item' }
  ],
  Item: [{ name: 'sku', number: 1, type: FieldType.STRING }, { name: 'quantity', number: 2, type: FieldType.INT32 }]
})
const codec = new ProtobufCodec({ messages: { 'shop.OrderPlaced': shop.OrderPlaced! } })
const OrderPlaced = defineEvent('shop.OrderPlaced', Type.Object({
  orderId: Type.String(),
  total: Type.Integer(),
  items: Type.Array(Type.Object({ sku: Type.String(), quantity: Type.Integer() }))
}))

const placed = createEnvelope({
  eventType: 'shop.OrderPlaced',
  payload: { orderId: 'o-1', total: 9_007_199_254, items: [{ sku: 'apple', quantity: 2 }] },
  source: 'shop',
  correlationId: 'checkout-1',
  causationId: 'e-0',
  partitionKey: 'o-1',
  headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }
})

t.test('encode then decode gives back every envelope field, 64-bit integers as numbers', async (t) => {
  const decoded = codec.decode(codec.encode(placed))
  t.same(decoded, placed)
  t.ok(OrderPlaced.check(decoded.payload), 'the payload passes its TypeBox schema')
  const bare = createEnvelope({ eventType: 'shop.OrderPlaced', payload: { orderId: 'o-2', total: 0, items: [] }, source: 'shop' })
  t.same(codec.decode(codec.encode(bare)), bare, 'null ids, no headers, zero values')
})

t.test('schema evolution: a field added with a new number is read by old readers (skipped) and new ones (its default)', async (t) => {
  const v1 = messageTypes('ship', { OrderShipped: [{ name: 'order_id', number: 1, type: FieldType.STRING }] }).OrderShipped!
  const v2 = messageTypes('ship', { OrderShipped: [{ name: 'order_id', number: 1, type: FieldType.STRING }, { name: 'carrier', number: 2, type: FieldType.STRING }] }).OrderShipped!
  const oldCodec = new ProtobufCodec({ messages: { 'ship.OrderShipped': v1 } })
  const newCodec = new ProtobufCodec({ messages: { 'ship.OrderShipped': v2 } })
  const old = createEnvelope({ eventType: 'ship.OrderShipped', payload: { orderId: 'o-1' }, source: 'shop' })
  const fresh = createEnvelope({ eventType: 'ship.OrderShipped', payload: { orderId: 'o-2', carrier: 'dhl' }, source: 'shop' })
  t.same(newCodec.decode(oldCodec.encode(old)).payload, { orderId: 'o-1', carrier: '' }, 'the new reader gets the proto3 default')
  t.same(oldCodec.decode(newCodec.encode(fresh)).payload, { orderId: 'o-2' }, 'the old reader skips the new field')
})

t.test('schema evolution: a changed field type or message name is refused with a typed error, never misread', async (t) => {
  const broken = messageTypes('shop', { OrderPlaced: [{ name: 'order_id', number: 1, type: FieldType.STRING }, { name: 'total', number: 2, type: FieldType.STRING }] }).OrderPlaced!
  const writer = new ProtobufCodec({ messages: { 'shop.OrderPlaced': broken } })
  const envelope = createEnvelope({ eventType: 'shop.OrderPlaced', payload: { orderId: 'o-1', total: 'lots' }, source: 'shop' })
  t.throws(() => codec.decode(writer.encode(envelope)), {
    code: 'OUTBOX_SCHEMA_INCOMPATIBLE',
    message: /field total \(2\) of shop\.OrderPlaced was written with wire type LengthDelimited, this reader's declaration expects Varint/
  })
  const renamed = messageTypes('shop.v2', { OrderPlaced: [{ name: 'order_id', number: 1, type: FieldType.STRING }] }).OrderPlaced!
  const other = new ProtobufCodec({ messages: { 'shop.OrderPlaced': renamed } })
  t.throws(() => codec.decode(other.encode(createEnvelope({ eventType: 'shop.OrderPlaced', payload: { orderId: 'o-1' }, source: 'shop' }))),
    { code: 'OUTBOX_SCHEMA_INCOMPATIBLE', message: /its payload was written as shop\.v2\.OrderPlaced, this reader reads shop\.OrderPlaced/ })
})

t.test('bad bytes, unknown event types and payloads that do not fit are clear errors', async (t) => {
  t.throws(() => codec.decode(Buffer.from([0x0a, 0xff, 0xff, 0xff])), { code: 'OUTBOX_MALFORMED_MESSAGE', message: /not a Protobuf fastify_outbox\.v1\.Envelope/ })
  t.throws(() => codec.encode(createEnvelope({ eventType: 'shop.Unknown', payload: {}, source: 'shop' })), { code: 'OUTBOX_PROTOBUF_UNKNOWN_EVENT' })
  t.throws(() => codec.encode(createEnvelope({ eventType: 'shop.OrderPlaced', payload: { orderId: 'o-1', colour: 'red' }, source: 'shop' })),
    { code: 'OUTBOX_INVALID_PAYLOAD', message: /does not fit its Protobuf message shop\.OrderPlaced/ })
  const stranger = new ProtobufCodec({ messages: {} })
  t.same(stranger.decode(codec.encode(placed)).payload, { '@type': 'type.googleapis.com/shop.OrderPlaced' }, 'a type the reader has no message for stays opaque')
})
