import { create, fromBinary, fromJson, toBinary, toJson, type DescMessage, type JsonObject, type JsonValue } from '@bufbuild/protobuf'
import { anyPack } from '@bufbuild/protobuf/wkt'
import { EnvelopeSchema } from './gen/envelope_pb.js'
import { assertWireTypes, plainPayload } from './payload-message.js'
import { ProtobufUnknownEventError } from './protobuf-errors.js'
import type { MessageCodec } from '../codec.js'
import type { MessageEnvelope } from '../../envelope/envelope.js'
import { assertEnvelopeFields } from '../../envelope/envelope-fields.js'
import { InvalidOptionsError, InvalidPayloadError, MalformedMessageError, SchemaIncompatibleError } from '../../errors.js'

export interface ProtobufCodecOptions {
  /**
   * The Protobuf message type of each event type's payload: the schemas protoc-gen-es generates
   * (`OrderCreatedSchema`), or ones from a file registry. Field JSON names (lowerCamelCase of the
   * proto names) are the payload's property names.
   */
  messages: Readonly<Record<string, DescMessage>>
}

const TYPE_URL_PREFIX = 'type.googleapis.com/'

/**
 * Protobuf binary of `fastify_outbox.v1.Envelope` (envelope.proto): the envelope's fields, and the
 * payload as a `google.protobuf.Any` of the event's own message type, so a topic carrying several
 * event types needs no change to the envelope when one is added. Decoding refuses a payload whose
 * type name or field wire types differ from the reader's (SchemaIncompatibleError); fields added
 * by a newer writer are skipped, fields an older writer did not know read as their proto3 default.
 */
export class ProtobufCodec implements MessageCodec {
  readonly contentType = 'application/x-protobuf'
  readonly #messages: ReadonlyMap<string, DescMessage>

  constructor (options: ProtobufCodecOptions) {
    if (options === null || typeof options !== 'object' || options.messages === null || typeof options.messages !== 'object') {
      throw new InvalidOptionsError('ProtobufCodec needs messages: the Protobuf message type of each event type')
    }
    this.#messages = new Map(Object.entries(options.messages))
  }

  encode (envelope: MessageEnvelope): Buffer {
    const type = this.#messages.get(envelope.eventType)
    if (type === undefined) throw new ProtobufUnknownEventError(envelope.eventType)
    let payload
    try {
      payload = fromJson(type, envelope.payload as JsonValue)
    } catch (err) {
      throw new InvalidPayloadError(envelope.eventType, `it does not fit its Protobuf message ${type.typeName}: ${(err as Error).message}`)
    }
    const message = create(EnvelopeSchema, {
      eventId: envelope.eventId,
      eventType: envelope.eventType,
      occurredAt: envelope.occurredAt,
      source: envelope.source,
      version: envelope.version,
      headers: { ...envelope.headers },
      payload: anyPack(type, payload),
      ...(envelope.correlationId === null ? {} : { correlationId: envelope.correlationId }),
      ...(envelope.causationId === null ? {} : { causationId: envelope.causationId }),
      ...(envelope.partitionKey === null ? {} : { partitionKey: envelope.partitionKey })
    })
    return Buffer.from(toBinary(EnvelopeSchema, message))
  }

  decode (bytes: Uint8Array): MessageEnvelope {
    let wire
    try {
      wire = fromBinary(EnvelopeSchema, bytes)
    } catch (err) {
      throw new MalformedMessageError(`not a Protobuf ${EnvelopeSchema.typeName} (${(err as Error).message})`)
    }
    if (wire.payload === undefined) throw new MalformedMessageError('the Protobuf envelope has no payload')
    const envelope = {
      eventId: wire.eventId,
      eventType: wire.eventType,
      occurredAt: wire.occurredAt,
      source: wire.source,
      correlationId: wire.correlationId ?? null,
      causationId: wire.causationId ?? null,
      version: wire.version,
      partitionKey: wire.partitionKey ?? null,
      headers: { ...wire.headers },
      payload: this.#payload(wire.eventType, wire.payload.typeUrl, wire.payload.value)
    }
    try {
      assertEnvelopeFields(envelope)
    } catch (err) {
      throw new MalformedMessageError((err as Error).message)
    }
    return envelope as MessageEnvelope
  }

  #payload (eventType: string, typeUrl: string, value: Uint8Array): unknown {
    const type = this.#messages.get(eventType)
    // An event type this reader has no message for: no handler here reads it (the bus
    // acknowledges such events), so its payload stays opaque.
    if (type === undefined) return { '@type': typeUrl }
    const written = typeUrl.startsWith(TYPE_URL_PREFIX) ? typeUrl.slice(TYPE_URL_PREFIX.length) : typeUrl
    if (written !== type.typeName) {
      throw new SchemaIncompatibleError(eventType, `its payload was written as ${written}, this reader reads ${type.typeName}`)
    }
    assertWireTypes(eventType, type, value)
    let message
    try {
      message = fromBinary(type, value)
    } catch (err) {
      throw new MalformedMessageError(`the payload is not a Protobuf ${type.typeName} (${(err as Error).message})`)
    }
    return plainPayload(type, toJson(type, message, { alwaysEmitImplicit: true }) as JsonObject)
  }
}
