import type { TSchema } from '@sinclair/typebox'
import avro from 'avsc'
import { AvroUnknownEventError, AvroUnknownWriterSchemaError } from './avro-errors.js'
import { avroFingerprint } from './fingerprint.js'
import { fromAvroValue, payloadSchemaOf, type AvroRecordSchema } from '../schema/payload-schema.js'
import { payloadField, topicSchemaOf } from '../schema/topic-schema.js'
import type { MessageCodec, SchemaLookup, TopicSchema } from '../codec.js'
import { contentTypeParameters } from '../codecs.js'
import type { MessageEnvelope } from '../../envelope/envelope.js'
import { assertEnvelopeFields } from '../../envelope/envelope-fields.js'
import type { EventDefinition } from '../../events/define-event.js'
import { InvalidOptionsError, InvalidPayloadError, MalformedMessageError, SchemaIncompatibleError } from '../../errors.js'

export interface AvroCodecOptions {
  /** The events this codec writes and reads; those sharing a topic share its schema. */
  events: ReadonlyArray<EventDefinition<string, TSchema>>
  /** Avro record schemas of payloads, by event type, used instead of the ones derived from TypeBox. */
  payloadSchemas?: Readonly<Record<string, AvroRecordSchema>>
  /** Topic schemas other writers used (earlier or later versions), for reading their messages without a registry. */
  writerSchemas?: readonly AvroRecordSchema[]
}

interface WriterSchema {
  readonly type: avro.Type
  readonly fingerprint: string
}

/**
 * Avro binary: the body is the topic schema's record (topic-schema.ts) in Avro's binary encoding,
 * with nothing before it, which is what Pulsar's AVRO schema type and its typed clients read. The
 * content type names the writer schema: `application/avro; fingerprint=<CRC-64-AVRO>`; a reader
 * whose schema differs resolves the payload from the writer's schema to its own (a field added with
 * a default reads both ways), and refuses what cannot be resolved (SchemaIncompatibleError).
 */
export class AvroCodec implements MessageCodec {
  readonly contentType = 'application/avro'
  readonly #topicOfType = new Map<string, string>()
  readonly #topics = new Map<string, { schema: AvroRecordSchema, writer: WriterSchema }>()
  readonly #definitions = new Map<string, EventDefinition<string, TSchema>>()
  readonly #payloadTypes = new Map<string, avro.Type>()
  readonly #writers = new Map<string, WriterSchema>()
  readonly #resolvers = new Map<string, avro.Resolver>()
  #registry: SchemaLookup | null = null
  /** The registry lookup in flight: messages of one new writer schema share it. */
  #lookingUp: Promise<void> | null = null

  constructor (options: AvroCodecOptions) {
    if (options === null || typeof options !== 'object' || !Array.isArray(options.events) || options.events.length === 0) {
      throw new InvalidOptionsError('AvroCodec needs events: the definitions of the events it writes and reads')
    }
    const payloadsByTopic = new Map<string, Map<string, AvroRecordSchema>>()
    for (const definition of options.events) {
      const payload = options.payloadSchemas?.[definition.type] ?? payloadSchemaOf(definition.type, definition.schema)
      this.#definitions.set(definition.type, definition)
      this.#topicOfType.set(definition.type, definition.topic)
      this.#payloadTypes.set(definition.type, avro.Type.forSchema(payload as avro.Schema))
      const payloads = payloadsByTopic.get(definition.topic) ?? new Map<string, AvroRecordSchema>()
      payloads.set(definition.type, payload)
      payloadsByTopic.set(definition.topic, payloads)
    }
    for (const [topic, payloads] of payloadsByTopic) {
      const schema = topicSchemaOf(topic, payloads)
      this.#topics.set(topic, { schema, writer: this.#remember(schema) })
    }
    for (const schema of options.writerSchemas ?? []) this.#remember(schema)
  }

  /** Writer schemas this codec does not hold are then looked up among the versions of its topics' schemas. */
  useSchemaRegistry (registry: SchemaLookup): void {
    this.#registry = registry
  }

  /** The Avro schema (JSON form) of a topic's messages: what the schema registry holds for it. */
  topicSchema (topic: string): AvroRecordSchema | undefined {
    return this.#topics.get(topic)?.schema
  }

  registrySchema (topic: string): TopicSchema | undefined {
    const schema = this.topicSchema(topic)
    return schema === undefined ? undefined : { type: 'AVRO', definition: schema }
  }

  /** Topics this codec has schemas for (short names). */
  get topics (): string[] {
    return [...this.#topics.keys()]
  }

  encode (envelope: MessageEnvelope): Buffer {
    const { writer } = this.#topicOf(envelope.eventType)
    const record = {
      event_id: envelope.eventId,
      event_type: envelope.eventType,
      occurred_at: envelope.occurredAt,
      source: envelope.source,
      correlation_id: envelope.correlationId,
      causation_id: envelope.causationId,
      version: envelope.version,
      partition_key: envelope.partitionKey,
      headers: envelope.headers,
      [payloadField(envelope.eventType)]: envelope.payload
    }
    try {
      return writer.type.toBuffer(record)
    } catch {
      const problems: string[] = []
      const slot = payloadField(envelope.eventType)
      writer.type.isValid(record, { errorHook: (path) => { problems.push(path.map((part) => part === slot ? 'payload' : part).join('.')) } })
      throw new InvalidPayloadError(envelope.eventType, `it does not fit its Avro schema at ${problems.join(', ') || 'the root'}`)
    }
  }

  contentTypeOf (envelope: MessageEnvelope): string {
    return `${this.contentType}; fingerprint=${this.#topicOf(envelope.eventType).writer.fingerprint}`
  }

  decode (bytes: Uint8Array, contentType?: string): MessageEnvelope | Promise<MessageEnvelope> {
    const fingerprint = contentTypeParameters(contentType).fingerprint
    if (fingerprint === undefined) throw new MalformedMessageError(`content type ${JSON.stringify(contentType)} names no writer schema (fingerprint=…)`)
    const writer = this.#writers.get(fingerprint)
    if (writer !== undefined) return this.#read(writer, bytes)
    if (this.#registry === null) throw new AvroUnknownWriterSchemaError(`fingerprint ${fingerprint}`)
    return this.#lookUp().then(() => {
      const found = this.#writers.get(fingerprint)
      if (found === undefined) throw new AvroUnknownWriterSchemaError(`fingerprint ${fingerprint}, in no version of the registry's schemas of ${this.topics.join(', ')}`)
      return this.#read(found, bytes)
    })
  }

  /** Remembers every AVRO version the registry holds for this codec's topics. */
  async #lookUp (): Promise<void> {
    this.#lookingUp ??= (async () => {
      try {
        for (const topic of this.topics) {
          for (const version of await this.#registry!.versionsOf(topic)) {
            if (version.type === 'AVRO') this.#remember(version.definition)
          }
        }
      } finally {
        this.#lookingUp = null
      }
    })()
    await this.#lookingUp
  }

  #read (writer: WriterSchema, bytes: Uint8Array): MessageEnvelope {
    let record: Record<string, unknown>
    try {
      record = writer.type.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    } catch (err) {
      throw new MalformedMessageError(`not Avro of its writer schema ${writer.fingerprint} (${(err as Error).message})`)
    }
    const eventType = record.event_type as string
    const written = record[payloadField(eventType)]
    if (written === null || written === undefined) throw new MalformedMessageError(`the Avro record has no payload in field ${payloadField(eventType)} for event type ${eventType}`)
    const definition = this.#definitions.get(eventType)
    const envelope = {
      eventId: record.event_id,
      eventType,
      occurredAt: record.occurred_at,
      source: record.source,
      correlationId: record.correlation_id,
      causationId: record.causation_id,
      version: record.version,
      partitionKey: record.partition_key,
      headers: { ...(record.headers as Record<string, string>) },
      payload: fromAvroValue(definition?.schema, this.#ownPayload(writer, eventType, written))
    }
    try {
      assertEnvelopeFields(envelope)
    } catch (err) {
      throw new MalformedMessageError((err as Error).message)
    }
    return envelope as MessageEnvelope
  }

  /** The payload as this reader's schema sees it: resolved from the writer's when they differ. */
  #ownPayload (writer: WriterSchema, eventType: string, written: unknown): unknown {
    const reader = this.#payloadTypes.get(eventType)
    const topic = this.#topicOfType.get(eventType)
    if (reader === undefined || (topic !== undefined && this.#topics.get(topic)?.writer === writer)) return written
    const key = `${writer.fingerprint}/${eventType}`
    let resolver = this.#resolvers.get(key)
    const writerPayload = writerPayloadType(writer.type, eventType)
    if (resolver === undefined) {
      try {
        resolver = reader.createResolver(writerPayload)
      } catch (err) {
        throw new SchemaIncompatibleError(eventType, `the writer's payload schema (fingerprint ${writer.fingerprint}) cannot be read as this reader's: ${(err as Error).message}. Make the change compatible (add fields with a default) or publish it as a new event type`)
      }
      this.#resolvers.set(key, resolver)
    }
    return reader.fromBuffer(writerPayload.toBuffer(written), resolver)
  }

  #topicOf (eventType: string): { schema: AvroRecordSchema, writer: WriterSchema } {
    const topic = this.#topicOfType.get(eventType)
    const known = topic === undefined ? undefined : this.#topics.get(topic)
    if (known === undefined) throw new AvroUnknownEventError(eventType)
    return known
  }

  #remember (schema: AvroRecordSchema): WriterSchema {
    const type = avro.Type.forSchema(schema as avro.Schema)
    const fingerprint = avroFingerprint(JSON.stringify(type.schema()))
    const known = this.#writers.get(fingerprint)
    if (known !== undefined) return known
    const writer = { type, fingerprint }
    this.#writers.set(fingerprint, writer)
    return writer
  }
}

function writerPayloadType (envelope: avro.Type, eventType: string): avro.Type {
  const field = (envelope as avro.types.RecordType).field(payloadField(eventType))
  const union = field?.type as avro.types.UnwrappedUnionType | undefined
  const record = union?.types.find((branch) => branch.typeName === 'record')
  if (record === undefined) throw new MalformedMessageError(`the writer's Avro schema has no payload field for ${eventType}`)
  return record
}
