import type { DomainEvent } from './define-event.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { createEnvelope } from '../envelope/envelope.js'

/** Where an event was emitted from: the service, and the request or event that caused it. */
export interface EmitContext {
  source: string
  correlationId?: string | null
  causationId?: string | null
  headers?: Record<string, string>
}

/** Validates the payload against its schema (throws InvalidPayloadError) and wraps it in an envelope. */
export function toEnvelope<P> (event: DomainEvent<P>, context: EmitContext): MessageEnvelope<P> {
  event.definition.assertValid(event.payload)
  const headers = context.headers === undefined
    ? event.headers
    : event.headers === undefined ? context.headers : { ...context.headers, ...event.headers }
  return createEnvelope({
    eventType: event.type,
    payload: event.payload,
    source: context.source,
    eventId: event.eventId,
    occurredAt: event.occurredAt,
    correlationId: context.correlationId ?? null,
    causationId: context.causationId ?? null,
    version: event.definition.version,
    partitionKey: event.partitionKey,
    headers
  })
}
