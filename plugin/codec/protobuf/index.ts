/**
 * fastify-outbox/protobuf: the Protobuf codec. Needs the optional peer dependency
 * `@bufbuild/protobuf` (`npm install @bufbuild/protobuf`); the main entry never loads it.
 */
export { ProtobufCodec, type ProtobufCodecOptions } from './protobuf-codec.js'
export { EnvelopeSchema, file_envelope, type Envelope } from './gen/envelope_pb.js'
export * from './protobuf-errors.js'
