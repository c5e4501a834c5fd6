import type { Test } from 'tap'
import { createEnvelope, PulsarBus, type MessageEnvelope, type PulsarBusOptions } from '../../support/library.js'
import type { ReceivedMessage } from '../../../plugin/pulsar/driver.js'
import { brokerConfig, recordingLogger, uniqueName } from './broker.js'
import { Mailbox } from '../../support/mailbox.js'
import { driverUnderTest, testDriver } from '../../support/pulsar-driver.js'

/** A started PulsarBus on the test broker, stopped when the test ends. Short retry delay: tests wait for redeliveries. */
export async function startedBus (t: Test, options: Partial<PulsarBusOptions> = {}): Promise<PulsarBus> {
  const bus = new PulsarBus({
    ...brokerConfig,
    source: uniqueName('svc'),
    driver: driverUnderTest,
    retryDelayMs: 50,
    connectTimeoutMs: 5000,
    logger: recordingLogger(),
    ...options
  })
  t.teardown(async () => await bus.stop())
  await bus.start()
  return bus
}

/** An event type (and so a topic) no other test uses. */
export function uniqueEventType (name = 'ThingHappened'): string {
  return `${uniqueName('t')}.${name}`
}

export function envelopeOf (eventType: string, payload: unknown, extra: { partitionKey?: string, correlationId?: string, causationId?: string, headers?: Record<string, string> } = {}): MessageEnvelope {
  return createEnvelope({ eventType, payload, source: 'test-producer', ...extra })
}

/**
 * A plain consumer on a topic, outside any bus: reads what is really on the broker (a DLQ, the
 * properties of published messages) from the earliest message, and acks what it reads.
 */
export async function rawReader (t: Test, topic: string): Promise<Mailbox<ReceivedMessage>> {
  const driver = await testDriver(brokerConfig)
  t.teardown(async () => await driver.close())
  const mailbox = new Mailbox<ReceivedMessage>()
  const consumer = await driver.subscribe({
    topic,
    subscription: uniqueName('reader'),
    type: 'Exclusive',
    initialPosition: 'Earliest',
    receiverQueueSize: 100,
    nackRedeliveryDelayMs: 100,
    onMessage: (message) => {
      mailbox.put(message)
      // A message may arrive before subscribe() has resolved: ack once `consumer` is assigned.
      setImmediate(() => { void consumer.ack(message) })
    }
  })
  return mailbox
}

/**
 * A started bus whose subscription (named after its source) collects the ids of the events of a
 * fresh type it handles, and a reader of that subscription's dead-letter topic: where tests put
 * bad messages on the topic and watch what is parked and what still gets through.
 */
export async function handlingBusWithDeadLetterReader (t: Test): Promise<{ bus: PulsarBus, source: string, type: string, handled: Mailbox<string>, dlq: Mailbox<ReceivedMessage> }> {
  const source = uniqueName('svc')
  const bus = await startedBus(t, { source })
  const type = uniqueEventType()
  const handled = new Mailbox<string>()
  await bus.subscribe(type, (envelope) => handled.put(envelope.eventId))
  const dlq = await rawReader(t, `${bus.topicFor(type)}-${source}-DLQ`)
  return { bus, source, type, handled, dlq }
}

/** Publishes raw bytes onto a topic as a foreign producer would. */
export async function publishRaw (t: Test, topic: string, bytes: Buffer, key: string | null = null): Promise<void> {
  const driver = await testDriver(brokerConfig, { maxPendingMessages: 10, maxMessageSize: 5 << 20 })
  t.teardown(async () => await driver.close())
  const producer = await driver.createProducer({ topic })
  await producer.send({ bytes, properties: {}, key })
}
