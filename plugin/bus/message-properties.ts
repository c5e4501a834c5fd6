import { JSON_CONTENT_TYPE } from '../codec/json-codec.js'
import type { MessageEnvelope } from '../envelope/envelope.js'

/**
 * Names of the Pulsar message properties we write. Snake case, like the JSON wire format, so that
 * services written against the same guide in other languages find them; they let a consumer
 * route, trace or dedupe on properties without decoding the payload, and they make
 * `pulsar-admin topics examine-message` readable.
 */
export const PROPERTY = {
  eventId: 'event_id',
  eventType: 'event_type',
  correlationId: 'correlation_id',
  causationId: 'causation_id',
  contentType: 'content_type',
  traceparent: 'traceparent',
  tracestate: 'tracestate'
} as const

/** Properties of a dead-lettered message, on top of the original ones. */
export const DEAD_LETTER_PROPERTY = {
  reason: 'dead_letter_reason',
  originalTopic: 'original_topic',
  originalMessageId: 'original_message_id',
  subscription: 'subscription',
  redeliveryCount: 'redelivery_count'
} as const

/** The properties of an envelope: its ids, the codec's content type, W3C trace context when present. */
export function envelopeProperties (envelope: MessageEnvelope, contentType: string): Record<string, string> {
  const properties: Record<string, string> = {
    [PROPERTY.eventId]: envelope.eventId,
    [PROPERTY.eventType]: envelope.eventType,
    [PROPERTY.contentType]: contentType
  }
  if (envelope.correlationId !== null) properties[PROPERTY.correlationId] = envelope.correlationId
  if (envelope.causationId !== null) properties[PROPERTY.causationId] = envelope.causationId
  const { traceparent, tracestate } = envelope.headers
  if (traceparent !== undefined) properties[PROPERTY.traceparent] = traceparent
  if (tracestate !== undefined) properties[PROPERTY.tracestate] = tracestate
  return properties
}

/** The event's ids as its properties carry them, for log lines about a message not decoded. */
export function propertyEvent (properties: Readonly<Record<string, string>>): { eventId?: string, eventType?: string, correlationId?: string } {
  return { eventId: properties[PROPERTY.eventId], eventType: properties[PROPERTY.eventType], correlationId: properties[PROPERTY.correlationId] }
}

/** Where a dead-lettered message came from, in the transport's own words. */
export interface DeadLetterOrigin {
  /** The topic, stream or subject it was read from. */
  readonly topic: string
  /** The transport's id of the message there (`topic/partition/offset`, `stream/id`, …). */
  readonly messageId: string
  readonly subscription: string
  readonly redeliveryCount: number
}

/** Long handler errors (stack-like messages) are cut: properties travel with every read of the message. */
const MAX_REASON_LENGTH = 2000

/**
 * The properties (headers, fields) of a dead-lettered message: its original ones, then why and
 * where from, then the envelope's ids when it decoded (they win over properties a foreign
 * producer may have set). The message's own content type stays: it says how its untouched bytes decode.
 */
export function deadLetterProperties (original: Readonly<Record<string, string>>, origin: DeadLetterOrigin, reason: string, envelope: MessageEnvelope | null): Record<string, string> {
  return {
    ...original,
    [DEAD_LETTER_PROPERTY.reason]: reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH)}…` : reason,
    [DEAD_LETTER_PROPERTY.originalTopic]: origin.topic,
    [DEAD_LETTER_PROPERTY.originalMessageId]: origin.messageId,
    [DEAD_LETTER_PROPERTY.subscription]: origin.subscription,
    [DEAD_LETTER_PROPERTY.redeliveryCount]: String(origin.redeliveryCount),
    ...(envelope === null ? {} : envelopeProperties(envelope, original[PROPERTY.contentType] ?? JSON_CONTENT_TYPE))
  }
}
