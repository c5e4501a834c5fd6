import t from 'tap'
import { JsonCodec } from '../../support/library.js'
import { waitFor } from '../../support/wait.js'
import { admin, brokerConfig, brokerSkipReason, recordingLogger, uniqueName } from './broker.js'
import { envelopeOf, rawReader, startedBus, uniqueEventType } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'
import { testDriver } from '../../support/pulsar-driver.js'

const skip = await brokerSkipReason()

t.test('a handler that fails until fixed: parked in the DLQ, replayed with its original bytes and key, handled once', { skip }, async (t) => {
  const source = uniqueName('svc')
  const logger = recordingLogger()
  const bus = await startedBus(t, { source, maxRedeliveries: 1, retryDelayMs: 50, logger })
  const type = uniqueEventType()
  let fixed = false
  const handled = new Mailbox<string>()
  await bus.subscribe(type, (envelope) => {
    if (!fixed) throw new Error('the stock table is locked')
    handled.put(envelope.eventId)
  })
  const onTopic = await rawReader(t, bus.topicFor(type))
  const sent = envelopeOf(type, { orderId: 'o-1' }, { partitionKey: 'o-1', correlationId: 'corr-1' })
  await bus.publish(sent)
  await waitFor(() => logger.lines.some((line) => line.msg === 'Message dead-lettered'), 'the message to be parked', 15_000)

  fixed = true
  t.equal(await bus.replayDeadLetters({ topic: type, subscription: source }), 1, 'one message sent back')
  t.same(await handled.take(1, 'the replayed event'), [sent.eventId])

  const [original, replayed] = await onTopic.take(2, 'the original and the replayed copy on the topic')
  t.same(replayed!.bytes, original!.bytes, 'the original bytes')
  t.equal(replayed!.key, 'o-1', 'the original key')
  t.match(replayed!.properties, { event_id: sent.eventId, correlation_id: 'corr-1' }, 'the original properties')
  t.notOk('dead_letter_reason' in replayed!.properties, 'without the parking ones')
  t.same(new JsonCodec().decode(replayed!.bytes), sent)

  t.equal(await bus.replayDeadLetters({ topic: type, subscription: source }), 0, 'nothing left to replay')
  const next = envelopeOf(type, { orderId: 'o-2' })
  await bus.publish(next)
  t.same(await handled.take(2, 'the next event'), [sent.eventId, next.eventId], 'the replayed event was handled once')
  await waitFor(async () => (await replayBacklog(`${bus.topicFor(type)}-${source}-DLQ`, source)) === 0, 'the parked copy to be acknowledged')
})

t.test('a message that cannot be sent back stays parked: the replay throws and acknowledges nothing', { skip }, async (t) => {
  const bus = await startedBus(t)
  const type = uniqueEventType()
  const subscription = uniqueName('billing')
  const dlq = `${bus.topicFor(type)}-${subscription}-DLQ`
  // Parked by hand, from a topic in a namespace that does not exist: the re-send is refused.
  const driver = await testDriver(brokerConfig, { maxPendingMessages: 10, maxMessageSize: 5 << 20 })
  t.teardown(async () => await driver.close())
  const producer = await driver.createProducer({ topic: dlq })
  await producer.send({ bytes: Buffer.from(JSON.stringify(envelopeOf(type, {}))), key: 'k', properties: { original_topic: 'persistent://public/no-such-namespace/gone', dead_letter_reason: 'test' } })

  await t.rejects(bus.replayDeadLetters({ topic: type, subscription }), { code: 'PULSAR_TOPIC_NOT_FOUND', message: /no-such-namespace/ })
  // No ack is in flight to wait for: the consumer closed, so the message is back on the subscription.
  t.equal(await replayBacklog(dlq, subscription), 1, 'still parked')
})

async function replayBacklog (deadLetterTopic: string, subscription: string): Promise<number | undefined> {
  return (await admin.topicStats(deadLetterTopic)).subscriptions[`${subscription}-replay`]?.msgBacklog
}

t.test('a configured deadLetterTopic is read; limit bounds a replay; the rest waits for the next one', { skip }, async (t) => {
  const parkedTopic = uniqueName('parked')
  const subscription = uniqueName('billing')
  const logger = recordingLogger()
  const bus = await startedBus(t, { maxRedeliveries: 0, deadLetterTopic: (_topic, sub) => `${parkedTopic}-${sub}`, logger })
  const type = uniqueEventType()
  let fixed = false
  const handled = new Mailbox<number>()
  await bus.subscribe(type, (envelope) => {
    if (!fixed) throw new Error('no')
    handled.put((envelope.payload as { n: number }).n)
  }, { subscription })
  for (const n of [1, 2, 3]) await bus.publish(envelopeOf(type, { n }))
  await waitFor(() => logger.lines.filter((line) => line.msg === 'Message dead-lettered').length === 3, 'three parked messages', 15_000)

  fixed = true
  t.equal(await bus.replayDeadLetters({ topic: type, subscription, limit: 2 }), 2, 'at most limit')
  t.same((await handled.take(2)).sort(), [1, 2], 'the two oldest')
  t.equal(await bus.replayDeadLetters({ topic: type, subscription }), 1, 'the rest')
  t.same((await handled.take(3)).sort(), [1, 2, 3])
})

t.test('nothing parked: 0, and no dead-letter topic is made for it', { skip }, async (t) => {
  const bus = await startedBus(t)
  const type = uniqueEventType()
  t.equal(await bus.replayDeadLetters({ topic: type, subscription: 'nobody' }), 0)
  await t.rejects(admin.topicStats(`${bus.topicFor(type)}-nobody-DLQ`), { code: 'PULSAR_TOPIC_NOT_FOUND' })
})
