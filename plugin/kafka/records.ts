import type { MessageEnvelope } from '../envelope/envelope.js'
import { deadLetterProperties, envelopeProperties } from '../bus/message-properties.js'
import type { OutgoingRecord } from './produce-batcher.js'

/** A record as a consumer of ours received it. */
export interface ReceivedRecord {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
  readonly key: string | null
  readonly value: Buffer
  readonly headers: Readonly<Record<string, string>>
  /** The consumer generation that fetched it: a settle from an older one commits nothing. */
  readonly generation: number
  /** Deliveries before this one, as this process counts them (a rebalance or restart starts again at 0). */
  readonly redeliveryCount: number
}

/** `topic/partition/offset`: what Kafka tools call a record. */
export function recordId (record: Pick<ReceivedRecord, 'topic' | 'partition' | 'offset'>): string {
  return `${record.topic}/${record.partition}/${record.offset}`
}

/**
 * The record of an envelope: the encoded bytes; its ids, content type and trace context, and
 * the codec's own properties, as headers; the partition key as the record key.
 */
export function envelopeRecord (topic: string, bytes: Buffer, envelope: MessageEnvelope, contentType: string, codecProperties: Readonly<Record<string, string>>): OutgoingRecord {
  return { topic, key: envelope.partitionKey, value: bytes, headers: { ...envelopeProperties(envelope, contentType), ...codecProperties } }
}

/**
 * The record to park: the original bytes and key untouched (so a replay is a plain re-publish),
 * the original headers, then why and where from, then the envelope's ids when it decoded.
 */
export function deadLetterRecord (deadLetterTopic: string, record: ReceivedRecord, subscription: string, reason: string, envelope: MessageEnvelope | null): OutgoingRecord {
  return {
    topic: deadLetterTopic,
    key: record.key,
    value: record.value,
    headers: deadLetterProperties(record.headers, { topic: record.topic, messageId: recordId(record), subscription, redeliveryCount: record.redeliveryCount }, reason, envelope)
  }
}
