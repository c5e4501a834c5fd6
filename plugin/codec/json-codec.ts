import type { MessageCodec, TopicSchema } from './codec.js'
import { payloadSchemaOf, type AvroRecordSchema } from './schema/payload-schema.js'
import { jsonTopicSchemaOf } from './schema/topic-schema.js'
import type { EventCatalog } from '../events/event-catalog.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { assertEnvelopeFields } from '../envelope/envelope-fields.js'
import { MalformedMessageError } from '../errors.js'

/** What the JSON codec writes, and what a message without a content type is taken to be. */
export const JSON_CONTENT_TYPE = 'application/json'

export interface JsonCodecOptions {
  /** Pretty-print with this many spaces (for debugging); compact when absent. */
  indent?: number
}

/**
 * The default codec. On the wire it uses the field names of the messaging guide this library
 * implements (`event_id`, `event_type`, `occurred_at`, ...), so services written against the same
 * guide in other languages read our messages and we read theirs.
 */
export class JsonCodec implements MessageCodec {
  readonly contentType = JSON_CONTENT_TYPE
  readonly #indent: number | undefined

  constructor (options: JsonCodecOptions = {}) {
    if (options.indent !== undefined && (!Number.isInteger(options.indent) || options.indent < 0 || options.indent > 10)) {
      throw new RangeError(`JsonCodec indent must be an integer from 0 to 10, got ${String(options.indent)}`)
    }
    this.#indent = options.indent
  }

  encode (envelope: MessageEnvelope): Buffer {
    const wire = {
      event_id: envelope.eventId,
      event_type: envelope.eventType,
      occurred_at: envelope.occurredAt,
      source: envelope.source,
      correlation_id: envelope.correlationId,
      causation_id: envelope.causationId,
      version: envelope.version,
      partition_key: envelope.partitionKey,
      headers: envelope.headers,
      payload: envelope.payload
    }
    return Buffer.from(JSON.stringify(wire, null, this.#indent))
  }

  /** The JSON document's shape for the registry: the envelope, with a union of the topic's payloads. */
  registrySchema (topic: string, catalog: EventCatalog): TopicSchema | undefined {
    const payloads = new Map<string, AvroRecordSchema>()
    for (const definition of catalog.definitions()) {
      if (definition.topic === topic) payloads.set(definition.type, payloadSchemaOf(definition.type, definition.schema))
    }
    return payloads.size === 0 ? undefined : { type: 'JSON', definition: jsonTopicSchemaOf(payloads) }
  }

  decode (bytes: Uint8Array): MessageEnvelope {
    let wire: unknown
    try {
      wire = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'))
    } catch (err) {
      throw new MalformedMessageError(`not JSON (${(err as Error).message})`)
    }
    if (wire === null || typeof wire !== 'object' || Array.isArray(wire)) {
      throw new MalformedMessageError(`expected a JSON object, got ${Array.isArray(wire) ? 'an array' : wire === null ? 'null' : typeof wire}`)
    }
    const fields = wire as Record<string, unknown>
    const envelope = {
      eventId: fields.event_id,
      eventType: fields.event_type,
      occurredAt: fields.occurred_at,
      source: fields.source,
      correlationId: fields.correlation_id ?? null,
      causationId: fields.causation_id ?? null,
      version: fields.version,
      partitionKey: fields.partition_key ?? null,
      headers: fields.headers ?? {},
      payload: fields.payload
    }
    try {
      assertEnvelopeFields(envelope)
    } catch (err) {
      throw new MalformedMessageError((err as Error).message)
    }
    return envelope as MessageEnvelope
  }
}
