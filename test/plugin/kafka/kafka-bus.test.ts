import t, { type Test } from 'tap'
import { createEnvelope, isTransportOutage } from '../../support/library.js'
import { KafkaBus, kafkaConfigFromEnv, type KafkaBusOptions } from '../../../plugin/kafka/index.js'
import { Mailbox } from '../../support/mailbox.js'
import { recordingLogger } from '../../support/recording-logger.js'
import { uniqueName } from '../../support/unique-name.js'
import { kafkaBrokers, kafkaSkipReason, rawKafkaReader } from './broker.js'

const skip = await kafkaSkipReason()

function kafkaBus (t: Test, options: Partial<KafkaBusOptions> = {}): KafkaBus {
  const bus = new KafkaBus({ brokers: kafkaBrokers, source: uniqueName('svc'), retryDelayMs: 50, logger: recordingLogger(), ...options })
  t.teardown(async () => await bus.stop())
  return bus
}

t.test('what is on the wire: the encoded envelope as the value, its ids as headers, the partition key as the record key', { skip }, async (t) => {
  const bus = kafkaBus(t)
  await bus.start()
  const type = `${uniqueName('w')}.ThingHappened`
  const sent = createEnvelope({ eventType: type, payload: { n: 1 }, source: 'wire-test', partitionKey: 'order-7', correlationId: 'corr-7', causationId: 'cause-7', headers: { traceparent: '00-abc-def-01' } })
  await bus.publish(sent)
  const [record] = await (await rawKafkaReader(t, bus.topicFor(type))).take(1, 'the record')
  t.equal((JSON.parse(record!.value.toString()) as { event_id: string }).event_id, sent.eventId)
  t.equal(record!.key, 'order-7')
  t.same(record!.headers, { event_id: sent.eventId, event_type: type, content_type: 'application/json', correlation_id: 'corr-7', causation_id: 'cause-7', traceparent: '00-abc-def-01' })
})

t.test('a message the broker finds too large fails alone, as a bad message; the ones sent with it go through', { skip }, async (t) => {
  // Our own check is set above the broker's limit (message.max.bytes, about 1 MiB), so the broker answers.
  const bus = kafkaBus(t, { maxMessageSize: 8 * 1024 * 1024 })
  await bus.start()
  const type = `${uniqueName('big')}.ThingHappened`
  const received = new Mailbox<number>()
  await bus.subscribe(type, (envelope) => received.put((envelope.payload as { n: number }).n))
  const big = createEnvelope({ eventType: type, payload: { n: 0, blob: 'x'.repeat(2 * 1024 * 1024) }, source: 'big-test' })
  const small = [1, 2, 3].map((n) => createEnvelope({ eventType: type, payload: { n }, source: 'big-test' }))
  // Published in one turn of the event loop: they leave in one produce request.
  const results = await Promise.allSettled([bus.publish(small[0]!), bus.publish(big), bus.publish(small[1]!), bus.publish(small[2]!)])
  t.same(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'])
  const error = (results[1] as PromiseRejectedResult).reason as Error & { code: string }
  t.equal(error.code, 'KAFKA_MESSAGE_TOO_LARGE')
  t.match(error.message, new RegExp(`^Message ${big.eventId} for topic .* is \\d+ bytes, over the limit`))
  t.notOk(isTransportOutage(error), 'not an outage: the projector counts it as a failed attempt')
  // Records of the first request that went to other partitions may have been stored before the
  // one-by-one resend: duplicates are allowed (at least once), missing events are not.
  const got = await received.until((items) => [1, 2, 3].every((n) => items.includes(n)), 'the small events')
  t.same([...new Set(got)].sort(), [1, 2, 3])
})

t.test('over maxMessageSize, a message is refused before it is sent', { skip }, async (t) => {
  const bus = kafkaBus(t, { maxMessageSize: 100 })
  await bus.start()
  const envelope = createEnvelope({ eventType: `${uniqueName('cap')}.ThingHappened`, payload: { text: 'y'.repeat(200) }, source: 's' })
  await t.rejects(bus.publish(envelope), { code: 'KAFKA_MESSAGE_TOO_LARGE', message: new RegExp(`^Message ${envelope.eventId} for topic .* is \\d+ bytes`) })
})

t.test('start() against a port where nothing listens fails fast as an outage naming the brokers', async (t) => {
  const bus = kafkaBus(t, { brokers: '127.0.0.1:1', connectTimeoutMs: 3000 })
  const began = Date.now()
  const error = await bus.start().then(() => null, (err: unknown) => err as Error & { code: string })
  t.equal(error?.code, 'KAFKA_CONNECT_FAILED')
  t.match(error?.message, /^Failed to reach Kafka at 127\.0\.0\.1:1: .*ECONNREFUSED.*Check that the brokers are up/)
  t.ok(isTransportOutage(error), 'an outage: the projector keeps its rows pending')
  t.ok(Date.now() - began < 10_000, `failed within ${Date.now() - began} ms`)
  t.notOk(bus.started)
})

t.test('bad configuration is refused when the bus is made, naming the option and the fix', async (t) => {
  const make = (options: Partial<KafkaBusOptions>): KafkaBus => new KafkaBus({ brokers: '127.0.0.1:9092', source: 'svc', ...options })
  t.throws(() => make({ brokers: [] }), { code: 'KAFKA_INVALID_CONFIG', message: /brokers must list at least one broker as host:port/ })
  t.throws(() => make({ brokers: 'kafka://host:9092' }), { code: 'KAFKA_INVALID_CONFIG', message: /brokers must be host:port \(no scheme\), got "kafka:\/\/host:9092"/ })
  t.throws(() => make({ brokers: 'host:99999' }), { code: 'KAFKA_INVALID_CONFIG' })
  t.throws(() => make({ topicPrefix: 'prod/' }), { code: 'KAFKA_INVALID_CONFIG', message: /topicPrefix may hold letters, digits/ })
  t.throws(() => make({ sessionTimeoutMs: 0 }), { code: 'OUTBOX_INVALID_OPTIONS', message: /sessionTimeoutMs/ })
  t.same(make({ brokers: ' a:1, b:2 ' }).settings.brokers, ['a:1', 'b:2'], 'a comma-separated string is split and trimmed')
  t.equal(make({ topicPrefix: 'prod.' }).topicFor('order.OrderCreated'), 'prod.order.OrderCreated')
})

t.test('kafkaConfigFromEnv reads KAFKA_BROKERS, KAFKA_CLIENT_ID and KAFKA_TOPIC_PREFIX; empty counts as unset', async (t) => {
  t.same(kafkaConfigFromEnv({ KAFKA_BROKERS: 'k1:9092,k2:9092', KAFKA_CLIENT_ID: 'orders', KAFKA_TOPIC_PREFIX: 'prod.' }), { brokers: 'k1:9092,k2:9092', clientId: 'orders', topicPrefix: 'prod.' })
  t.same(kafkaConfigFromEnv({ KAFKA_BROKERS: 'k1:9092', KAFKA_CLIENT_ID: '' }), { brokers: 'k1:9092' })
  t.throws(() => kafkaConfigFromEnv({}), { code: 'KAFKA_INVALID_CONFIG', message: /KAFKA_BROKERS is not set: set it to the brokers as host:port/ })
})
