import { Type } from '@sinclair/typebox'
import t, { type Test } from 'tap'
import { defineEvent, JsonCodec } from '../../support/library.js'
import { AvroCodec } from '../../../plugin/codec/avro/index.js'
import { ProtobufCodec } from '../../../plugin/codec/protobuf/index.js'
import { FieldType, messageTypes } from '../../support/protobuf-types.js'
import { brokerConfig, brokerSkipReason, uniqueName } from './broker.js'
import { envelopeOf, rawReader, startedBus } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'
import { testDriver } from '../../support/pulsar-driver.js'

/**
 * Codecs on the real broker: the content type each message carries decides how it is decoded, so
 * a consumer reads a topic whose producers moved from JSON to Avro, and bytes that do not decode
 * under their content type are dead-lettered with the reason.
 */

const skip = await brokerSkipReason()

function shopEvents (): { Placed: ReturnType<typeof placedEvent>, topic: string } {
  const topic = uniqueName('shop-events')
  return { Placed: placedEvent(topic), topic }
}

function placedEvent (topic: string) {
  return defineEvent('shop.OrderPlaced', Type.Object({ orderId: Type.String(), total: Type.Integer() }), { topic, partitionKey: (order) => order.orderId })
}

/** Sends bytes with the properties we choose, as a producer in another language would. */
async function sendRaw (t: Test, topic: string, bytes: Buffer, properties: Record<string, string>, key: string): Promise<void> {
  const driver = await testDriver(brokerConfig, { maxPendingMessages: 10, maxMessageSize: 5 << 20 })
  t.teardown(async () => await driver.close())
  const producer = await driver.createProducer({ topic })
  await producer.send({ bytes, properties, key })
}

t.test('an Avro consumer reads a topic whose producers moved from JSON to Avro; undecodable messages are dead-lettered with the reason', { skip }, async (t) => {
  const { Placed, topic } = shopEvents()
  const source = uniqueName('billing')
  const consumer = await startedBus(t, { source, codec: new AvroCodec({ events: [Placed] }) })
  const handled = new Mailbox<string>()
  await consumer.subscribe(Placed, (envelope) => handled.put(`${envelope.eventId} ${envelope.payload.orderId} ${envelope.correlationId ?? ''}`))
  const dlq = await rawReader(t, `${consumer.topicFor(topic)}-${source}-DLQ`)

  const jsonProducer = await startedBus(t, { source: 'shop', codec: new JsonCodec() })
  const avroProducer = await startedBus(t, { source: 'shop', codec: new AvroCodec({ events: [Placed] }) })
  const before = envelopeOf(Placed.type, { orderId: 'o-1', total: 100 }, { partitionKey: 'o-1', correlationId: 'c-1' })
  const after = envelopeOf(Placed.type, { orderId: 'o-1', total: 200 }, { partitionKey: 'o-1', correlationId: 'c-2' })
  await jsonProducer.publish(before, { topic })
  await avroProducer.publish(after, { topic })
  const fingerprint = new AvroCodec({ events: [Placed] }).contentTypeOf(after)
  await sendRaw(t, consumer.topicFor(topic), Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), { content_type: fingerprint }, 'bad-avro')
  await sendRaw(t, consumer.topicFor(topic), Buffer.from('{}'), { content_type: 'text/csv' }, 'bad-type')

  t.same(await handled.take(2), [`${before.eventId} o-1 c-1`, `${after.eventId} o-1 c-2`], 'both codecs, in order')
  const parked = await dlq.take(2, 'both bad messages parked')
  t.match(parked.find((m) => m.key === 'bad-avro')?.properties.dead_letter_reason, /^Cannot decode message: not Avro of its writer schema [0-9a-f]{16}/)
  t.match(parked.find((m) => m.key === 'bad-type')?.properties.dead_letter_reason, /no codec of this bus reads content type "text\/csv"/)
  t.equal(parked.find((m) => m.key === 'bad-avro')?.properties.content_type, fingerprint, 'the parked message keeps its own content type')
})

t.test('Avro messages carry every envelope field and the writer schema in their content type', { skip }, async (t) => {
  const { Placed, topic } = shopEvents()
  const codec = new AvroCodec({ events: [Placed] })
  const bus = await startedBus(t, { codec })
  const reader = await rawReader(t, bus.topicFor(topic))
  const sent = envelopeOf(Placed.type, { orderId: 'o-9', total: 1 }, { partitionKey: 'o-9', correlationId: 'c-9', causationId: 'e-8', headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })
  await bus.publish(sent, { topic })
  const [message] = await reader.take(1)
  t.match(message!.properties, { content_type: codec.contentTypeOf(sent), event_id: sent.eventId, event_type: sent.eventType, correlation_id: 'c-9', causation_id: 'e-8', traceparent: sent.headers.traceparent })
  t.equal(message!.key, 'o-9')
  t.same(await codec.decode(message!.bytes, message!.properties.content_type), sent)
})

t.test('Protobuf on the broker: envelopes read back whole; bad bytes and an incompatible payload are dead-lettered with the reason', { skip }, async (t) => {
  const { Placed, topic } = shopEvents()
  const types = messageTypes('shop', { OrderPlaced: [{ name: 'order_id', number: 1, type: FieldType.STRING }, { name: 'total', number: 2, type: FieldType.INT64 }] })
  const codec = new ProtobufCodec({ messages: { [Placed.type]: types.OrderPlaced! } })
  const source = uniqueName('billing')
  const consumer = await startedBus(t, { source, codec })
  const handled = new Mailbox<unknown>()
  await consumer.subscribe(Placed, (envelope) => handled.put(envelope))
  const dlq = await rawReader(t, `${consumer.topicFor(topic)}-${source}-DLQ`)

  const producer = await startedBus(t, { source: 'shop', codec })
  const sent = envelopeOf(Placed.type, { orderId: 'o-1', total: 100 }, { partitionKey: 'o-1', correlationId: 'c-1', causationId: 'e-0', headers: { tenant: 'eu' } })
  await producer.publish(sent, { topic })
  const broken = messageTypes('shop', { OrderPlaced: [{ name: 'order_id', number: 1, type: FieldType.STRING }, { name: 'total', number: 2, type: FieldType.STRING }] })
  const incompatible = new ProtobufCodec({ messages: { [Placed.type]: broken.OrderPlaced! } }).encode(envelopeOf(Placed.type, { orderId: 'o-2', total: 'lots' }))
  await sendRaw(t, consumer.topicFor(topic), incompatible, { content_type: 'application/x-protobuf' }, 'incompatible')
  await sendRaw(t, consumer.topicFor(topic), Buffer.from([0x0a, 0xff, 0xff, 0xff]), { content_type: 'application/x-protobuf' }, 'bad-protobuf')

  t.same(await handled.take(1), [sent])
  const parked = await dlq.take(2, 'both bad messages parked')
  t.match(parked.find((m) => m.key === 'incompatible')?.properties.dead_letter_reason, /^Schema of shop\.OrderPlaced is incompatible: field total \(2\)/)
  t.match(parked.find((m) => m.key === 'bad-protobuf')?.properties.dead_letter_reason, /^Cannot decode message: not a Protobuf fastify_outbox\.v1\.Envelope/)
})
