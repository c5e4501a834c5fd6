import type { Test } from 'tap'
import { JsonCodec, type MessageEnvelope, type ResolvedPulsarConfig } from './library.js'
import { WebSocketDriver } from '../../plugin/pulsar/websocket/ws-driver.js'
import { Mailbox } from './mailbox.js'
import { recordingLogger } from './recording-logger.js'
import { uniqueName } from './unique-name.js'

/** One message as the broker holds it: the envelope and when the broker stored it. */
export interface StoredMessage {
  readonly envelope: MessageEnvelope
  readonly publishTime: string
}

/**
 * Reads a topic from its first message in the broker's order, outside any bus (an Exclusive
 * subscription of its own, every message acknowledged): what the projectors really put on the
 * broker, duplicates included, which a bus's subscriber and its inbox would hide.
 */
export async function topicReader (t: Test, config: ResolvedPulsarConfig, topic: string): Promise<Mailbox<StoredMessage>> {
  const driver = new WebSocketDriver(config, { connectTimeoutMs: 5000, sendTimeoutMs: 10_000, maxPendingMessages: 100, maxMessageSize: 5 << 20, logger: recordingLogger() })
  t.teardown(async () => await driver.close())
  const codec = new JsonCodec()
  const mailbox = new Mailbox<StoredMessage>()
  const consumer = await driver.subscribe({
    topic,
    subscription: uniqueName('reader'),
    type: 'Exclusive',
    initialPosition: 'Earliest',
    receiverQueueSize: 500,
    nackRedeliveryDelayMs: 100,
    onMessage: (message) => {
      mailbox.put({ envelope: codec.decode(message.bytes) as MessageEnvelope, publishTime: message.publishTime })
      setImmediate(() => { void consumer.ack(message) })
    }
  })
  return mailbox
}

/** Per partition key, the `seq` of each message in the order it was read. */
export function seqsByKey (messages: readonly StoredMessage[]): Map<string, number[]> {
  const byKey = new Map<string, number[]>()
  for (const { envelope } of messages) {
    const key = envelope.partitionKey ?? '(none)'
    const list = byKey.get(key) ?? []
    list.push((envelope.payload as { seq: number }).seq)
    byKey.set(key, list)
  }
  return byKey
}

/** The messages with each event id kept at its first appearance: what an inbox lets through. */
export function firstAppearances (messages: readonly StoredMessage[]): StoredMessage[] {
  const seen = new Set<string>()
  return messages.filter(({ envelope }) => !seen.has(envelope.eventId) && seen.add(envelope.eventId) !== undefined)
}
