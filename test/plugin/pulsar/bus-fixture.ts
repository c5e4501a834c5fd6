import type { Test } from 'tap'
import { createEnvelope, PulsarBus, type MessageEnvelope, type PulsarBusOptions } from '../../../plugin/index.js'
import type { ReceivedMessage } from '../../../plugin/pulsar/driver.js'
import { WebSocketDriver } from '../../../plugin/pulsar/websocket/ws-driver.js'
import { brokerConfig, recordingLogger, uniqueName } from './broker.js'
import { Mailbox } from './mailbox.js'

/** A started PulsarBus on the test broker, stopped when the test ends. Short retry delay: tests wait for redeliveries. */
export async function startedBus (t: Test, options: Partial<PulsarBusOptions> = {}): Promise<PulsarBus> {
  const bus = new PulsarBus({
    ...brokerConfig,
    source: uniqueName('svc'),
    driver: 'websocket',
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
  const driver = new WebSocketDriver(brokerConfig, { connectTimeoutMs: 5000, sendTimeoutMs: 10_000, maxPendingMessages: 100, maxMessageSize: 5 << 20, logger: recordingLogger() })
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

/** Publishes raw bytes onto a topic as a foreign producer would. */
export async function publishRaw (t: Test, topic: string, bytes: Buffer, key: string | null = null): Promise<void> {
  const driver = new WebSocketDriver(brokerConfig, { connectTimeoutMs: 5000, sendTimeoutMs: 10_000, maxPendingMessages: 10, maxMessageSize: 5 << 20, logger: recordingLogger() })
  t.teardown(async () => await driver.close())
  const producer = await driver.createProducer({ topic })
  await producer.send({ bytes, properties: {}, key })
}
