import type { MessageEnvelope } from '../envelope/envelope.js'
import { JSON_CONTENT_TYPE } from '../codec/json-codec.js'
import { DEAD_LETTER_PROPERTY, envelopeProperties, PROPERTY } from '../bus/message-properties.js'

/** The header that carries the partition key (NATS has no message key). */
export const PARTITION_KEY_HEADER = 'partition_key'

/** The headers of an envelope's message: its ids, content type, trace context, the codec's properties and the partition key. Nats-Msg-Id is set by the publish itself. */
export function envelopeHeaders (envelope: MessageEnvelope, contentType: string, codecProperties: Readonly<Record<string, string>>): Record<string, string> {
  return {
    ...envelopeProperties(envelope, contentType),
    ...codecProperties,
    ...(envelope.partitionKey === null ? {} : { [PARTITION_KEY_HEADER]: envelope.partitionKey })
  }
}

/** Long handler errors are cut: headers travel with every read of the message. */
const MAX_REASON_LENGTH = 2000

/** A received message's headers plus why and where from, for its copy in the dead-letter stream. */
export function deadLetterHeaders (original: Readonly<Record<string, string>>, origin: { subject: string, messageId: string, subscription: string, redeliveryCount: number }, reason: string, envelope: MessageEnvelope | null): Record<string, string> {
  // The server's own headers (Nats-Msg-Id above all: one event parked by two subscriptions is two dead letters) stay behind.
  const kept = Object.fromEntries(Object.entries(original).filter(([name]) => !/^nats-/i.test(name)))
  return {
    ...kept,
    [DEAD_LETTER_PROPERTY.reason]: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason,
    [DEAD_LETTER_PROPERTY.originalTopic]: origin.subject,
    [DEAD_LETTER_PROPERTY.originalMessageId]: origin.messageId,
    [DEAD_LETTER_PROPERTY.subscription]: origin.subscription,
    [DEAD_LETTER_PROPERTY.redeliveryCount]: String(origin.redeliveryCount),
    ...(envelope === null ? {} : envelopeProperties(envelope, original[PROPERTY.contentType] ?? JSON_CONTENT_TYPE))
  }
}
