import t from 'tap'
import { createEnvelope, type MessageEnvelope } from '../../plugin/index.js'
import { brokerConfig, brokerSkipReason } from '../plugin/pulsar/broker.js'
import { publishRaw, startedBus, uniqueEventType } from '../plugin/pulsar/bus-fixture.js'
import { buildJavaConsumer, runJavaConsumer, type JavaReading } from './java-consumer.js'

/**
 * A consumer in another language, written from ENVELOPE.md alone: the Java program of
 * test/interop/java (the official Pulsar client) reads what our bus published on the real broker,
 * decodes it, checks every envelope field against the document's rules, and prints what it read.
 */

const skip = await brokerSkipReason()
const webUrl = brokerConfig.webServiceUrl ?? 'http://127.0.0.1:8080'

/** What the Java consumer should have read for an envelope, in the wire format's field names. */
function expectedReading (envelope: MessageEnvelope): JavaReading['envelope'] {
  return {
    event_id: envelope.eventId,
    event_type: envelope.eventType,
    occurred_at: envelope.occurredAt,
    source: envelope.source,
    correlation_id: envelope.correlationId,
    causation_id: envelope.causationId,
    version: envelope.version,
    partition_key: envelope.partitionKey,
    headers: { ...envelope.headers },
    payload: envelope.payload
  }
}

t.test('a Java consumer reads every envelope field of our JSON messages, as ENVELOPE.md specifies them', { skip }, async (t) => {
  const classPath = await buildJavaConsumer()
  const bus = await startedBus(t)
  const type = uniqueEventType('OrderPlaced')
  const full = createEnvelope({
    eventType: type,
    payload: { orderId: 'o-1', total: 4200, items: [{ sku: 'apple', quantity: 2 }], note: 'grüße, 東京' },
    source: 'order-service',
    correlationId: 'checkout-7',
    causationId: '01a217e1-dbed-72c0-a5ec-564116591b2a',
    version: '2.1',
    partitionKey: 'o-1',
    headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=1', tenant: 'eu' }
  })
  const bare = createEnvelope({ eventType: type, payload: { orderId: 'o-2', total: 0 }, source: 'order-service' })
  await bus.publish(full)
  await bus.publish(bare)

  const { exitCode, readings, stderr } = await runJavaConsumer(classPath, { serviceUrl: brokerConfig.serviceUrl, webUrl, topics: [bus.topicFor(type)], count: 2 })
  t.equal(exitCode, 0, `the Java consumer found no broken rule${exitCode === 0 ? '' : `: ${stderr}`}`)
  t.same(readings.map((reading) => reading.envelope), [expectedReading(full), expectedReading(bare)], 'every field, as published')
  t.same(readings.map((reading) => reading.key), ['o-1', null], 'the partition key is the message key')
  t.match(readings[0]?.properties, { content_type: 'application/json', event_id: full.eventId, event_type: type, correlation_id: 'checkout-7', traceparent: full.headers.traceparent })
})

t.test('the Java consumer fails on a message that breaks ENVELOPE.md, naming the rule', { skip }, async (t) => {
  const classPath = await buildJavaConsumer()
  const type = uniqueEventType()
  const topic = `persistent://${brokerConfig.tenant}/${brokerConfig.namespace}/${type}`
  // A well-formed JSON body, sent without the properties our bus writes and with a bad date.
  const body = { event_id: 'e-1', event_type: type, occurred_at: 'yesterday', source: 'elsewhere', version: '1.0', payload: {} }
  await publishRaw(t, topic, Buffer.from(JSON.stringify(body)))

  const { exitCode, stderr } = await runJavaConsumer(classPath, { serviceUrl: brokerConfig.serviceUrl, webUrl, topics: [topic], count: 1 })
  t.equal(exitCode, 1)
  t.match(stderr, /occurred_at yesterday is not an RFC 3339 date-time/)
  t.match(stderr, /property event_id is null but the envelope says e-1/)
  t.match(stderr, /property content_type is missing/)
})
