import t from 'tap'
import { Type } from '@sinclair/typebox'
import { defineEvent, PulsarBus, type Delivery, type MessageEnvelope } from '../../support/library.js'
import { admin, brokerConfig, brokerSkipReason, recordingLogger, uniqueName } from './broker.js'
import { envelopeOf, rawReader, startedBus, uniqueEventType } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'
import { driverUnderTest } from '../../support/pulsar-driver.js'
import { waitFor } from '../../support/wait.js'

const skip = await brokerSkipReason()

type Received = { envelope: MessageEnvelope, delivery: Delivery }

t.test('round trip on a Shared subscription: the handler gets the envelope as published', { skip }, async (t) => {
  const logger = recordingLogger()
  const source = uniqueName('svc')
  const bus = await startedBus(t, { logger, source })
  t.equal(bus.kind, 'pulsar')
  t.equal(bus.driverName, driverUnderTest)
  const connecting = logger.lines.find((line) => line.msg === `Pulsar bus connecting with the ${driverUnderTest} driver`)
  t.equal((connecting?.obj as { reason?: string } | undefined)?.reason, `driver "${driverUnderTest}" was asked for`, 'says which driver and why')

  const type = uniqueEventType()
  const inbox = new Mailbox<Received>()
  await bus.subscribe(type, (envelope, delivery) => inbox.put({ envelope, delivery }))
  const sent = envelopeOf(type, { orderId: 'o-1', total: 12.5 }, { correlationId: 'corr-1', causationId: 'cause-1', partitionKey: 'o-1', headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' } })
  await bus.publish(sent)
  const [{ envelope, delivery }] = await inbox.take(1) as [Received]
  t.same(envelope, sent)
  t.equal(delivery.subscription, source, 'the subscription is named after the service')
  t.equal(delivery.redeliveryCount, 0)
  t.type(delivery.messageId, 'string')
})

t.test('what is on the wire: the encoded envelope, its ids as properties, the partition key as the key', { skip }, async (t) => {
  const bus = await startedBus(t)
  const type = uniqueEventType()
  const wire = await rawReader(t, bus.topicFor(type))
  const sent = envelopeOf(type, { n: 1 }, { correlationId: 'corr-2', causationId: 'cause-2', partitionKey: 'key-2', headers: { traceparent: '00-abc-def-01', other: 'x' } })
  await bus.publish(sent)
  const [message] = await wire.take(1)
  t.same(JSON.parse(message!.bytes.toString()).event_id, sent.eventId)
  t.same(message!.properties, {
    event_id: sent.eventId,
    event_type: type,
    content_type: 'application/json',
    correlation_id: 'corr-2',
    causation_id: 'cause-2',
    traceparent: '00-abc-def-01'
  })
  t.equal(message!.key, 'key-2')
})

t.test('an event definition routes to its topic and its payload is validated', { skip }, async (t) => {
  const bus = await startedBus(t)
  const event = defineEvent(uniqueEventType('PriceChanged'), Type.Object({ sku: Type.String(), price: Type.Number() }), { topic: uniqueName('prices') })
  const inbox = new Mailbox<MessageEnvelope>()
  await bus.subscribe(event, (envelope) => inbox.put(envelope))
  await bus.publish(envelopeOf(event.type, { sku: 'apple', price: 3 }))
  t.same((await inbox.take(1))[0]!.payload, { sku: 'apple', price: 3 })
  t.ok((await admin.listTopics()).includes(bus.topicFor(event.topic)), 'published on the definition\'s topic')
})

t.test('several handlers of one type each get every event', { skip }, async (t) => {
  const bus = await startedBus(t)
  const type = uniqueEventType()
  const first = new Mailbox<string>()
  const second = new Mailbox<string>()
  await bus.subscribe(type, (envelope) => first.put(envelope.eventId))
  await bus.subscribe(type, (envelope) => second.put(envelope.eventId))
  const ids = []
  for (let i = 0; i < 5; i++) {
    const envelope = envelopeOf(type, { i })
    ids.push(envelope.eventId)
    await bus.publish(envelope)
  }
  t.same((await first.take(5)).sort(), [...ids].sort())
  t.same((await second.take(5)).sort(), [...ids].sort())
})

t.test('unsubscribe stops delivery; the durable subscription keeps what comes next', { skip }, async (t) => {
  const source = uniqueName('svc')
  const bus = await startedBus(t, { source })
  const type = uniqueEventType()
  const gone = new Mailbox<string>()
  const witness = new Mailbox<string>()
  const handler = (envelope: MessageEnvelope): void => gone.put(envelope.eventId)
  await bus.subscribe(type, handler)
  // Another subscription of the same topic proves when the next event has been delivered.
  await bus.subscribe(type, (envelope) => witness.put(envelope.eventId), { subscription: uniqueName('witness') })
  await bus.publish(envelopeOf(type, { n: 1 }))
  await gone.take(1)
  await witness.take(1)

  await bus.unsubscribe(type, handler)
  const later = envelopeOf(type, { n: 2 })
  await bus.publish(later)
  t.equal((await witness.take(2))[1], later.eventId)
  t.equal(gone.items.length, 1, 'the unsubscribed handler got nothing more')
  await waitFor(async () => (await admin.topicStats(bus.topicFor(type))).subscriptions[source]?.msgBacklog === 1, 'the event waiting on the durable subscription')
})

t.test('Key_Shared keeps per-key order under concurrency, several keys at once', { skip }, async (t) => {
  const bus = await startedBus(t, { concurrency: 8 })
  const type = uniqueEventType()
  const seen = new Mailbox<{ key: string, n: number }>()
  const running = new Map<string, number>()
  let overlaps = 0
  await bus.subscribe(type, async (envelope) => {
    const key = envelope.partitionKey!
    running.set(key, (running.get(key) ?? 0) + 1)
    if (running.get(key)! > 1) overlaps++
    // Uneven handler times: a key's later events would overtake earlier ones if order were not kept.
    await new Promise((resolve) => setTimeout(resolve, (envelope.payload as { n: number }).n % 3 === 0 ? 8 : 1))
    running.set(key, running.get(key)! - 1)
    seen.put({ key, n: (envelope.payload as { n: number }).n })
  }, { ordered: true })
  const keys = ['a', 'b', 'c', 'd']
  const sends = []
  for (let n = 0; n < 80; n++) sends.push(bus.publish(envelopeOf(type, { n }, { partitionKey: keys[n % keys.length] })))
  await Promise.all(sends)
  const all = await seen.take(80)
  for (const key of keys) {
    const order = all.filter((event) => event.key === key).map((event) => event.n)
    t.same(order, [...order].sort((a, b) => a - b), `key ${key} handled in publish order`)
  }
  t.equal(overlaps, 0, 'never two events of one key at once')
  const stats = await admin.topicStats(bus.topicFor(type))
  t.equal(Object.values(stats.subscriptions)[0]?.type, 'Key_Shared')
})

t.test('Failover and Exclusive subscriptions deliver too', { skip }, async (t) => {
  for (const subscriptionType of ['Failover', 'Exclusive'] as const) {
    const bus = await startedBus(t, { subscriptionType })
    const type = uniqueEventType()
    const inbox = new Mailbox<string>()
    await bus.subscribe(type, (envelope) => inbox.put(envelope.eventId))
    const sent = envelopeOf(type, { subscriptionType })
    await bus.publish(sent)
    t.same(await inbox.take(1), [sent.eventId], subscriptionType)
    t.equal(Object.values((await admin.topicStats(bus.topicFor(type))).subscriptions)[0]?.type, subscriptionType)
  }
})

t.test('subscribing while started opens the consumer at once; start and stop are idempotent', { skip }, async (t) => {
  const bus = await startedBus(t)
  await bus.start()
  const type = uniqueEventType()
  const inbox = new Mailbox<string>()
  await bus.subscribe(type, (envelope) => inbox.put(envelope.eventId))
  await bus.publish(envelopeOf(type, {}))
  await inbox.take(1)
  await bus.stop()
  await bus.stop()
  t.equal(bus.started, false)
})

t.test('subscriptions made before start() open on start and get events published before', { skip }, async (t) => {
  const type = uniqueEventType()
  const early = await startedBus(t)
  const sent = envelopeOf(type, { early: true })
  const subscriber = new PulsarBus({ ...brokerConfig, source: uniqueName('late'), driver: driverUnderTest, retryDelayMs: 50 })
  t.teardown(async () => await subscriber.stop())
  const inbox = new Mailbox<string>()
  await subscriber.subscribe(type, (envelope) => inbox.put(envelope.eventId))
  // Published before the subscription exists: initialPosition Earliest still finds it.
  await early.publish(sent)
  await subscriber.start()
  t.same(await inbox.take(1), [sent.eventId])
})

t.test('concurrent first publishes to a topic share one producer', { skip }, async (t) => {
  const bus = await startedBus(t)
  const type = uniqueEventType()
  await Promise.all(Array.from({ length: 20 }, async (_, n) => await bus.publish(envelopeOf(type, { n }))))
  const stats = await admin.topicStats(bus.topicFor(type))
  t.equal(stats.publishers.length, 1, 'one producer on the topic')
  t.equal(stats.msgInCounter, 20)
})
