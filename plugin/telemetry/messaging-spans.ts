import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api'
import { contextOf, traceHeaders } from './trace-context.js'
import type { MessageEnvelope } from '../envelope/envelope.js'

/**
 * Spans of the projector's publishes and the consumers' handlers, named and described by the
 * OpenTelemetry messaging semantic conventions. Through @opentelemetry/api only: without an SDK
 * registered by the application they cost a no-op.
 */
const tracer = () => trace.getTracer('fastify-outbox')

function messagingAttributes (system: string, destination: string, envelope: MessageEnvelope): Record<string, string> {
  return {
    'messaging.system': system,
    'messaging.destination.name': destination,
    'messaging.message.id': envelope.eventId,
    ...(envelope.correlationId === null ? {} : { 'messaging.message.conversation_id': envelope.correlationId }),
    'fastify_outbox.event_type': envelope.eventType
  }
}

function endWith (span: Span, error: unknown): void {
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : new Error(String(error)))
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
  }
  span.end()
}

/**
 * Publishes an outbox row's envelope inside a `send` span, child of the trace that wrote the row
 * (its stored traceparent); the message then carries the publish span's traceparent, so its
 * consumers continue the same trace.
 */
export async function publishTraced (system: string, topic: string, envelope: MessageEnvelope, publish: (envelope: MessageEnvelope) => Promise<void>): Promise<void> {
  const parent = contextOf(envelope.headers)
  const span = tracer().startSpan(`send ${topic}`, {
    kind: SpanKind.PRODUCER,
    attributes: { ...messagingAttributes(system, topic, envelope), 'messaging.operation.type': 'send', 'messaging.operation.name': 'publish' }
  }, parent)
  const spanContext = trace.setSpan(parent, span)
  const headers = traceHeaders(spanContext)
  const sent = headers.traceparent === undefined ? envelope : { ...envelope, headers: { ...envelope.headers, ...headers } }
  try {
    await publish(sent)
    span.end()
  } catch (err) {
    endWith(span, err)
    throw err
  }
}

/**
 * Runs a delivery's handlers inside a `process` span, child of the publish that sent it; events
 * the handlers add (inbox handlers write to the outbox) are stamped with this span's traceparent.
 */
export async function processTraced<T> (system: string, topic: string, subscription: string, envelope: MessageEnvelope, handle: () => Promise<T>): Promise<T> {
  const parent = contextOf(envelope.headers)
  const span = tracer().startSpan(`process ${topic}`, {
    kind: SpanKind.CONSUMER,
    attributes: { ...messagingAttributes(system, topic, envelope), 'messaging.operation.type': 'process', 'messaging.operation.name': 'process', 'messaging.consumer.group.name': subscription }
  }, parent)
  try {
    const result = await context.with(trace.setSpan(parent, span), handle)
    span.end()
    return result
  } catch (err) {
    endWith(span, err)
    throw err
  }
}
