import { newEventId } from './event-id.js'
import { assertEnvelopeFields } from './envelope-fields.js'

/**
 * What travels on the bus: an event's payload plus the facts every consumer needs to route,
 * deduplicate and trace it. Immutable once built.
 */
export interface MessageEnvelope<P = unknown> {
  /** Globally unique; consumers deduplicate on it. UUIDv7 when generated here. */
  readonly eventId: string
  /** `{domain}.{EventName}`, e.g. `order.OrderCreated`; routes the message. */
  readonly eventType: string
  readonly payload: P
  /** ISO 8601 instant at which the event happened. */
  readonly occurredAt: string
  /** The service that emitted the event. */
  readonly source: string
  /** Ties together everything one request caused, across services. */
  readonly correlationId: string | null
  /** The event id of the event whose handling emitted this one. */
  readonly causationId: string | null
  /** Version of the payload's schema, e.g. "1.0". */
  readonly version: string
  /** Events with the same key are delivered in order (the Pulsar message key). */
  readonly partitionKey: string | null
  /** Extra string metadata, e.g. `traceparent`. */
  readonly headers: Readonly<Record<string, string>>
}

export interface EnvelopeInput<P = unknown> {
  eventType: string
  payload: P
  source: string
  eventId?: string
  occurredAt?: string | Date
  correlationId?: string | null
  causationId?: string | null
  version?: string
  partitionKey?: string | null
  headers?: Record<string, string>
}

export const DEFAULT_EVENT_VERSION = '1.0'

const noHeaders: Readonly<Record<string, string>> = Object.freeze({})

/** Builds an envelope, filling the id and the time when absent; throws InvalidEnvelopeError on bad fields. */
export function createEnvelope<P> (input: EnvelopeInput<P>): MessageEnvelope<P> {
  const occurredAt = input.occurredAt instanceof Date
    ? input.occurredAt.toISOString()
    : input.occurredAt ?? new Date().toISOString()
  const envelope: MessageEnvelope<P> = {
    eventId: input.eventId ?? newEventId(),
    eventType: input.eventType,
    payload: input.payload,
    occurredAt,
    source: input.source,
    correlationId: input.correlationId ?? null,
    causationId: input.causationId ?? null,
    version: input.version ?? DEFAULT_EVENT_VERSION,
    partitionKey: input.partitionKey ?? null,
    headers: input.headers ?? noHeaders
  }
  assertEnvelopeFields(envelope as unknown as Record<string, unknown>)
  return envelope
}
