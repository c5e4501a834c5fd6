import type { MessageEnvelope } from '../envelope/envelope.js'
import { deadLetterProperties, envelopeProperties, type DeadLetterOrigin } from '../bus/message-properties.js'

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

/** A received message's headers plus why and where from, for its copy in the dead-letter stream. */
export function deadLetterHeaders (original: Readonly<Record<string, string>>, origin: DeadLetterOrigin, reason: string, envelope: MessageEnvelope | null): Record<string, string> {
  // The server's own headers (Nats-Msg-Id above all: one event parked by two subscriptions is two dead letters) stay behind.
  const kept = Object.fromEntries(Object.entries(original).filter(([name]) => !/^nats-/i.test(name)))
  return deadLetterProperties(kept, origin, reason, envelope)
}
