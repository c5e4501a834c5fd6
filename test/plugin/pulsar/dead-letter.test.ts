import t from 'tap'
import { Type } from '@sinclair/typebox'
import { defineEvent, JsonCodec, type Delivery } from '../../support/library.js'
import { brokerSkipReason, uniqueName } from './broker.js'
import { envelopeOf, handlingBusWithDeadLetterReader, publishRaw, rawReader, startedBus, uniqueEventType } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'

const skip = await brokerSkipReason()

t.test('a handler that always throws: redelivered up to the limit, then parked in {topic}-{subscription}-DLQ with the envelope intact', { skip }, async (t) => {
  const source = uniqueName('svc')
  const bus = await startedBus(t, { source, maxRedeliveries: 2, retryDelayMs: 50 })
  const type = uniqueEventType()
  const deliveries = new Mailbox<Delivery>()
  await bus.subscribe(type, (_envelope, delivery) => {
    deliveries.put(delivery)
    throw new Error('the database is read-only')
  })
  const dlq = await rawReader(t, `${bus.topicFor(type)}-${source}-DLQ`)
  const sent = envelopeOf(type, { orderId: 'o-9' }, { correlationId: 'corr-9', partitionKey: 'o-9' })
  await bus.publish(sent)

  const [parked] = await dlq.take(1, 'the dead letter')
  t.same(deliveries.items.map((delivery) => delivery.redeliveryCount), [0, 1, 2], 'the broker counted each redelivery')
  t.same(new JsonCodec().decode(parked!.bytes), sent, 'the original bytes: the envelope intact')
  t.equal(parked!.key, 'o-9')
  t.match(parked!.properties, {
    dead_letter_reason: 'handler failed on delivery 3 of 3: the database is read-only',
    original_topic: bus.topicFor(type),
    original_message_id: deliveries.items[0]!.messageId,
    subscription: source,
    redelivery_count: '2',
    event_id: sent.eventId,
    event_type: type,
    correlation_id: 'corr-9'
  })
})

t.test('malformed bytes from a foreign producer are parked with the reason, and good messages keep flowing', { skip }, async (t) => {
  const { bus, source, type, handled, dlq } = await handlingBusWithDeadLetterReader(t)

  await publishRaw(t, bus.topicFor(type), Buffer.from('{"half": "a json'), 'junk-key')
  const good = envelopeOf(type, { ok: true })
  await bus.publish(good)

  t.same(await handled.take(1), [good.eventId], 'the good message is handled')
  const [parked] = await dlq.take(1)
  t.equal(parked!.bytes.toString(), '{"half": "a json', 'bytes untouched')
  t.equal(parked!.key, 'junk-key')
  t.match(parked!.properties.dead_letter_reason, /^Cannot decode message: not JSON/)
  t.equal(parked!.properties.event_id, undefined, 'no ids: nothing decoded')
  t.equal(parked!.properties.subscription, source)
})

t.test('a payload that fails its schema is parked at once, not retried', { skip }, async (t) => {
  const source = uniqueName('svc')
  const bus = await startedBus(t, { source, maxRedeliveries: 5 })
  const event = defineEvent(uniqueEventType('StockCounted'), Type.Object({ count: Type.Integer() }))
  let calls = 0
  await bus.subscribe(event, () => { calls++ })
  const dlq = await rawReader(t, `${bus.topicFor(event.topic)}-${source}-DLQ`)
  await bus.publish(envelopeOf(event.type, { count: 'many' }))
  const [parked] = await dlq.take(1)
  t.match(parked!.properties.dead_letter_reason, /Payload of .* does not match its schema/)
  t.equal(parked!.properties.redelivery_count, '0')
  t.equal(calls, 0)
})

t.test('deadLetterTopic chooses the dead-letter topic', { skip }, async (t) => {
  const parkedTopic = uniqueName('parked')
  const bus = await startedBus(t, { maxRedeliveries: 0, deadLetterTopic: (_topic, subscription) => `${parkedTopic}-${subscription}` })
  const type = uniqueEventType()
  const subscription = uniqueName('billing')
  await bus.subscribe(type, () => { throw new Error('no') }, { subscription })
  const dlq = await rawReader(t, bus.topicFor(`${parkedTopic}-${subscription}`))
  await bus.publish(envelopeOf(type, {}))
  t.match((await dlq.take(1))[0]!.properties, { dead_letter_reason: 'handler failed on delivery 1 of 1: no', subscription })
})

t.test('an ordered subscription retries in place, holding back only the failing key', { skip }, async (t) => {
  const source = uniqueName('svc')
  const bus = await startedBus(t, { source, maxRedeliveries: 2, retryDelayMs: 20 })
  const type = uniqueEventType()
  const order = new Mailbox<string>()
  await bus.subscribe(type, (envelope, delivery) => {
    const { name } = envelope.payload as { name: string }
    if (name === 'bad') throw new Error(`try ${delivery.redeliveryCount}`)
    order.put(name)
  }, { ordered: true })
  const dlq = await rawReader(t, `${bus.topicFor(type)}-${source}-DLQ`)
  await bus.publish(envelopeOf(type, { name: 'bad' }, { partitionKey: 'k1' }))
  await bus.publish(envelopeOf(type, { name: 'after-bad' }, { partitionKey: 'k1' }))
  await bus.publish(envelopeOf(type, { name: 'other-key' }, { partitionKey: 'k2' }))
  t.equal((await order.take(1))[0], 'other-key', 'another key is not held back')
  const [parked] = await dlq.take(1)
  t.equal(parked!.properties.dead_letter_reason, 'handler failed on delivery 3 of 3: try 2')
  t.same(await order.take(2), ['other-key', 'after-bad'], 'the key resumes after its failing event is parked')
})
