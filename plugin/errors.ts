import createError from '@fastify/error'

/**
 * The core's errors, in one place: each transport adapter and optional codec lists its own beside
 * it (plugin/pulsar/errors.ts, plugin/kafka/errors.ts, plugin/codec/avro/avro-errors.ts, ...).
 * Each has a stable code (match on `err.code`, never on the message) and a message that names
 * the cause and the fix. Messages are formatted with util.format: each `%s` takes one
 * constructor argument.
 */

// Configuration
export const InvalidOptionsError = createError(
  'OUTBOX_INVALID_OPTIONS',
  'Invalid fastify-outbox options: %s',
  500
)
export const AlreadyRegisteredError = createError(
  'OUTBOX_ALREADY_REGISTERED',
  'fastify-outbox is already registered on this Fastify instance; register it once (in the root or one encapsulated context)',
  500
)
export const InvalidIdentifierError = createError(
  'OUTBOX_INVALID_IDENTIFIER',
  'Invalid SQL identifier %s for %s: use 1 to 63 characters, letters, digits and underscores, starting with a letter or underscore',
  500
)

// Events and envelopes
export const InvalidEventNameError = createError(
  'OUTBOX_INVALID_EVENT_NAME',
  'Invalid event name %s: use {domain}.{EventName}, for example "order.OrderCreated" (domain in lower case, name in PascalCase, past tense)',
  500
)
export const DuplicateEventError = createError(
  'OUTBOX_DUPLICATE_EVENT',
  'Event %s is defined twice with different schemas; define each event once and import that definition',
  500
)
export const InvalidPayloadError = createError(
  'OUTBOX_INVALID_PAYLOAD',
  'Payload of %s does not match its schema: %s',
  400
)
export const InvalidEnvelopeError = createError(
  'OUTBOX_INVALID_ENVELOPE',
  'Invalid message envelope: %s',
  400
)
/**
 * Thrown by a handler to send the message to the dead-letter topic at once, with the reason,
 * instead of failing until its redeliveries run out (the guide's save_to_dlq): for a message that
 * no retry can fix.
 */
export const DeadLetterError = createError(
  'OUTBOX_DEAD_LETTER',
  'Dead-lettered by its handler: %s',
  422
)
export const MalformedMessageError = createError(
  'OUTBOX_MALFORMED_MESSAGE',
  'Cannot decode message: %s. The producer did not use this codec or the bytes were damaged; the message is dead-lettered, not retried',
  400
)

export const UnknownContentTypeError = createError(
  'OUTBOX_UNKNOWN_CONTENT_TYPE',
  'Cannot decode message: no codec of this bus reads content type %s (it reads %s). Add the codec that wrote it to the bus\'s codecs option; the message is dead-lettered, not retried',
  400
)
export const AvroSchemaUnsupportedError = createError(
  'OUTBOX_AVRO_SCHEMA_UNSUPPORTED',
  'Cannot derive an Avro schema for %s: %s. Give its payload schema as Avro in AvroCodec\'s payloadSchemas option, or leave it out of the schema registry',
  500
)
export const SchemaIncompatibleError = createError(
  'OUTBOX_SCHEMA_INCOMPATIBLE',
  'Schema of %s is incompatible: %s',
  400
)

// The outbox write path
export const NoTransactionError = createError(
  'OUTBOX_NO_TRANSACTION',
  'outbox.add(%s) was called with no transaction bound, so the event would not commit with the business change. Call it inside outbox.transaction(async (tx) => ...), pass { tx } from your own db.transaction, or pass { standalone: true } to write it on its own on purpose',
  500
)
export const AmbiguousTransactionError = createError(
  'OUTBOX_AMBIGUOUS_TRANSACTION',
  'outbox.add(%s) was called while %s transactions of this request are open, so it is not clear which one the event belongs to. Use the outbox handed to the transaction callback: transaction(async (tx, outbox) => outbox.add(...))',
  500
)
export const TransactionClosedError = createError(
  'OUTBOX_TRANSACTION_CLOSED',
  'outbox.add(%s) was called after its transaction ended; add events before the transaction callback returns',
  500
)

// The bus
export const BusNotStartedError = createError(
  'OUTBOX_BUS_NOT_STARTED',
  'The %s message bus is not started: call bus.start() first (the Fastify plugin starts it in onReady)',
  500
)
export const BusStoppedError = createError(
  'OUTBOX_BUS_STOPPED',
  'The %s message bus is stopped; it cannot %s',
  503
)

// Starting
export const StartTimeoutError = createError(
  'OUTBOX_START_TIMEOUT',
  '%s did not start within %s: %s, or give Fastify a longer pluginTimeout',
  500
)

// The database
export const DatabaseUnavailableError = createError(
  'OUTBOX_DATABASE_UNAVAILABLE',
  'Cannot use PostgreSQL at %s: %s',
  503
)
