import createError from '@fastify/error'

/** Errors of the Protobuf codec (the `fastify-outbox/protobuf` entry point). Match on `err.code`. */

export const ProtobufUnknownEventError = createError(
  'OUTBOX_PROTOBUF_UNKNOWN_EVENT',
  'ProtobufCodec cannot encode %s: it has no message type for this event type. Add it to ProtobufCodec\'s messages',
  500
)
