import type { MessageEnvelope } from '../envelope/envelope.js'
import type { OutgoingMessage, ReceivedMessage } from './driver.js'
import { DEAD_LETTER_PROPERTY, envelopeProperties, PROPERTY } from '../bus/message-properties.js'

/** What a message without a content type is (ENVELOPE.md). */
const JSON_CONTENT_TYPE = 'application/json'

/** Chooses the dead-letter topic of a subscription; gets and may return fully qualified names or short names. */
export type DeadLetterTopicName = (topic: string, subscription: string) => string

/** Pulsar's own convention (the Java client's DeadLetterPolicy default): `{topic}-{subscription}-DLQ`. */
export const defaultDeadLetterTopic: DeadLetterTopicName = (topic, subscription) => `${topic}-${subscription}-DLQ`

/** Long handler errors (stack-like messages) are cut: properties travel with every read of the message. */
const MAX_REASON_LENGTH = 2000

export interface DeadLetterFacts {
  readonly message: ReceivedMessage
  /** Fully qualified topic the message was read from. */
  readonly topic: string
  readonly subscription: string
  readonly reason: string
  /** The decoded envelope, when the bytes decoded. */
  readonly envelope: MessageEnvelope | null
}

/**
 * The message to park: the original bytes and key untouched (so the envelope is intact and a
 * replay is a plain re-publish), the original properties, then why and where from, then the
 * envelope's ids when it decoded (they win over properties a foreign producer may have set).
 */
export function deadLetterMessage (facts: DeadLetterFacts): OutgoingMessage {
  const { message, envelope } = facts
  const reason = facts.reason.length > MAX_REASON_LENGTH ? `${facts.reason.slice(0, MAX_REASON_LENGTH)}…` : facts.reason
  return {
    bytes: message.bytes,
    key: message.key,
    properties: {
      ...message.properties,
      [DEAD_LETTER_PROPERTY.reason]: reason,
      [DEAD_LETTER_PROPERTY.originalTopic]: facts.topic,
      [DEAD_LETTER_PROPERTY.originalMessageId]: message.id,
      [DEAD_LETTER_PROPERTY.subscription]: facts.subscription,
      [DEAD_LETTER_PROPERTY.redeliveryCount]: String(message.redeliveryCount),
      // The message's own content type stays: it says how its (untouched) bytes decode.
      ...(envelope === null ? {} : envelopeProperties(envelope, message.properties[PROPERTY.contentType] ?? JSON_CONTENT_TYPE))
    }
  }
}
