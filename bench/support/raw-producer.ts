import { createEnvelope, JsonCodec, type EventDefinition } from 'fastify-outbox'
// The baseline sends what the bus would send, through our driver: internals no entry point exports.
// eslint-disable-next-line no-restricted-imports
import { envelopeProperties } from '../../plugin/bus/message-properties.js'
// eslint-disable-next-line no-restricted-imports
import type { OutgoingMessage } from '../../plugin/pulsar/driver.js'
import { benchDriver, brokerConfig, type BenchDriver } from './broker.js'
import type { Drain } from './projector-timing.js'
import { benchPayload } from './workload.js'
import { topicFor } from 'fastify-outbox/pulsar'

/**
 * The transport's own limit: our driver (WebSocket or native) sending `count` messages shaped like the projector's (the
 * same envelope, properties and key, encoded beforehand) to a fresh topic, with as many in
 * flight as the bus allows a producer (1000), and no database at all.
 */
export async function timeRawProducer (event: EventDefinition, count: number, driverName: BenchDriver = 'websocket', inFlight = 1000): Promise<Drain> {
  const codec = new JsonCodec()
  const messages: OutgoingMessage[] = []
  for (let seq = 1; seq <= count; seq++) {
    const envelope = createEnvelope({ eventType: event.type, payload: benchPayload(seq), source: 'bench', partitionKey: `k${seq}` })
    messages.push({ bytes: codec.encode(envelope), properties: envelopeProperties(envelope, codec.contentType), key: envelope.partitionKey })
  }
  const driver = await benchDriver(driverName, inFlight)
  try {
    await driver.connect()
    const producer = await driver.createProducer({ topic: topicFor(brokerConfig, event.topic) })
    let next = 0
    const started = performance.now()
    await Promise.all(Array.from({ length: inFlight }, async () => {
      while (next < messages.length) await producer.send(messages[next++]!)
    }))
    const ms = performance.now() - started
    return { rows: count, ms, rowsPerSecond: count / ms * 1000 }
  } finally {
    await driver.close()
  }
}
