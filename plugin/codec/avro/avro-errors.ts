import createError from '@fastify/error'

/** Errors of the Avro codec (the `fastify-outbox/avro` entry point). Match on `err.code`. */

export const AvroUnknownEventError = createError(
  'OUTBOX_AVRO_UNKNOWN_EVENT',
  'AvroCodec cannot encode %s: it has no schema for this event type. Add its definition to AvroCodec\'s events',
  500
)
export const AvroUnknownWriterSchemaError = createError(
  'OUTBOX_AVRO_UNKNOWN_WRITER_SCHEMA',
  'Cannot decode message: it was written with an Avro schema this reader does not know (%s). Turn on the bus\'s schema registry, or give the writer\'s schema in AvroCodec\'s writerSchemas; the message is dead-lettered, not retried',
  400
)
