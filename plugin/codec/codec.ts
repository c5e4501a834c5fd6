import type { AvroRecordSchema } from './schema/payload-schema.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import type { EventCatalog } from '../events/event-catalog.js'

/** A topic's schema as a schema registry holds it: its kind and its Avro record. */
export interface TopicSchema {
  readonly type: 'AVRO' | 'JSON'
  readonly definition: AvroRecordSchema
}

/** Where a codec finds schemas it does not hold: a schema registry. */
export interface SchemaLookup {
  /** Every registered version of a topic's schema (short name), oldest first; none when it has no schema. */
  versionsOf (topic: string): Promise<TopicSchema[]>
}

/** Turns envelopes into bytes for a transport and back. */
export interface MessageCodec {
  /**
   * Media type this codec writes and reads, without parameters (`application/json`). Written into
   * every message's content type, so that a consumer picks the codec that reads it.
   */
  readonly contentType: string
  encode (envelope: MessageEnvelope): Buffer
  /**
   * The content type to write with this envelope's bytes, when the codec needs parameters to read
   * them back (Avro: the writer schema's fingerprint). Default: `contentType`.
   */
  contentTypeOf? (envelope: MessageEnvelope): string
  /**
   * Transport properties (Pulsar message properties) this codec writes with the bytes, on top of
   * the envelope's own (CloudEvents binary mode: its `ce_` attributes).
   */
  propertiesOf? (envelope: MessageEnvelope): Record<string, string>
  /**
   * True when a message is this codec's by its properties rather than its content type
   * (CloudEvents binary mode: `ce_specversion`); asked before the content type.
   */
  claims? (properties: Readonly<Record<string, string>>): boolean
  /**
   * Throws MalformedMessageError naming what is wrong; never returns a partial envelope.
   * `contentType` is the message's content type with its parameters, when it has one, and
   * `properties` its transport properties. A codec
   * that must fetch a writer's schema first (Avro with a schema registry) returns a promise.
   */
  decode (bytes: Uint8Array, contentType?: string, properties?: Readonly<Record<string, string>>): MessageEnvelope | Promise<MessageEnvelope>
  /**
   * The schema of a topic's messages written by this codec, for a schema registry; undefined when
   * the codec knows no event type of the topic. `catalog` holds the event definitions the bus knows.
   */
  registrySchema? (topic: string, catalog: EventCatalog): TopicSchema | undefined
  /** Lets the codec look up writer schemas it does not hold (the Pulsar bus calls it when its schemaRegistry is on). */
  useSchemaRegistry? (registry: SchemaLookup): void
}
