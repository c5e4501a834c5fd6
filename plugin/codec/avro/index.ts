/**
 * fastify-outbox/avro: the Avro codec. Needs the optional peer dependency `avsc`
 * (`npm install avsc`); the main entry never loads it.
 */
export { AvroCodec, type AvroCodecOptions } from './avro-codec.js'
export { payloadSchemaOf, type AvroRecordSchema, type AvroSchema } from '../schema/payload-schema.js'
export { ENVELOPE_RECORD, payloadField, topicSchemaOf } from '../schema/topic-schema.js'
export { avroFingerprint } from './fingerprint.js'
export * from './avro-errors.js'
