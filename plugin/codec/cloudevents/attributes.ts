import type { MessageEnvelope } from '../../envelope/envelope.js'
import { DEFAULT_EVENT_VERSION } from '../../envelope/envelope.js'
import { assertEnvelopeFields } from '../../envelope/envelope-fields.js'
import { MalformedMessageError } from '../../errors.js'

export const SPEC_VERSION = '1.0'
/** The data of our events is the payload as JSON. */
export const DATA_CONTENT_TYPE = 'application/json'

/** Headers that have CloudEvents attributes of their own (the Distributed Tracing extension). */
const traceHeaders = ['traceparent', 'tracestate'] as const

/**
 * The CloudEvents 1.0 context attributes of an envelope (ENVELOPE.md section 3.3): the required
 * id, source, type and specversion; time; subject and the partitioning extension's
 * partitionkey from the partition key; the extensions correlationid, causationid and
 * eventversion; traceparent and tracestate; other headers as JSON in outboxheaders.
 */
export function attributesOf (envelope: MessageEnvelope): Record<string, string> {
  const attributes: Record<string, string> = {
    specversion: SPEC_VERSION,
    id: envelope.eventId,
    source: envelope.source,
    type: envelope.eventType,
    time: envelope.occurredAt,
    datacontenttype: DATA_CONTENT_TYPE,
    eventversion: envelope.version
  }
  if (envelope.partitionKey !== null) {
    attributes.subject = envelope.partitionKey
    attributes.partitionkey = envelope.partitionKey
  }
  if (envelope.correlationId !== null) attributes.correlationid = envelope.correlationId
  if (envelope.causationId !== null) attributes.causationid = envelope.causationId
  const others: Record<string, string> = {}
  for (const [name, value] of Object.entries(envelope.headers)) {
    if ((traceHeaders as readonly string[]).includes(name)) attributes[name] = value
    else others[name] = value
  }
  if (Object.keys(others).length > 0) attributes.outboxheaders = JSON.stringify(others)
  return attributes
}

/** The envelope of a CloudEvent's attributes and data; MalformedMessageError naming what is missing or wrong. */
export function envelopeOf (attributes: Readonly<Record<string, unknown>>, data: unknown): MessageEnvelope {
  if (attributes.specversion !== SPEC_VERSION) throw new MalformedMessageError(`CloudEvents specversion ${JSON.stringify(attributes.specversion)} is not ${SPEC_VERSION}`)
  if (attributes.time === undefined) throw new MalformedMessageError('the CloudEvent has no time, which an envelope needs as occurred_at')
  const headers: Record<string, string> = {}
  if (typeof attributes.outboxheaders === 'string') {
    try {
      Object.assign(headers, JSON.parse(attributes.outboxheaders))
    } catch {
      throw new MalformedMessageError('the outboxheaders attribute is not a JSON object')
    }
  }
  for (const name of traceHeaders) {
    if (typeof attributes[name] === 'string') headers[name] = attributes[name]
  }
  const envelope = {
    eventId: attributes.id,
    eventType: attributes.type,
    occurredAt: attributes.time,
    source: attributes.source,
    correlationId: attributes.correlationid ?? null,
    causationId: attributes.causationid ?? null,
    version: attributes.eventversion ?? DEFAULT_EVENT_VERSION,
    partitionKey: attributes.partitionkey ?? attributes.subject ?? null,
    headers,
    payload: data
  }
  try {
    assertEnvelopeFields(envelope)
  } catch (err) {
    throw new MalformedMessageError((err as Error).message)
  }
  return envelope as MessageEnvelope
}
