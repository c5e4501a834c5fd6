import createError from '@fastify/error'

/**
 * Every error a user of this library can cause, in one place. Each has a stable code
 * (match on `err.code`, never on the message) and a message that names the cause and the fix.
 * Messages are formatted with util.format: each `%s` takes one constructor argument.
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

// Pulsar
export const PulsarConfigError = createError(
  'PULSAR_INVALID_CONFIG',
  'Invalid Pulsar configuration: %s',
  500
)
export const PulsarConnectError = createError(
  'PULSAR_CONNECT_FAILED',
  'Failed to connect to Pulsar at %s: %s. Check that the broker is up, that its port is reachable from here, and the value of PULSAR_URL (and PULSAR_WEB_URL for the WebSocket driver)',
  503
)
export const PulsarAuthError = createError(
  'PULSAR_AUTH_FAILED',
  'Pulsar at %s refused the credentials: %s. Check PULSAR_AUTH_TOKEN (a JWT signed with the broker\'s secret and allowed on this namespace)',
  503
)
export const PulsarTopicError = createError(
  'PULSAR_TOPIC_NOT_FOUND',
  'Pulsar topic %s is not available: %s. Create the tenant/namespace (pulsar-admin namespaces create) or enable allowAutoTopicCreation on the broker',
  503
)
export const PulsarMessageTooLargeError = createError(
  'PULSAR_MESSAGE_TOO_LARGE',
  'Message %s is %s bytes, over the broker\'s limit of %s bytes (maxMessageSize). Keep payloads small: store large documents elsewhere and publish a reference',
  413
)
export const PulsarNativeDriverError = createError(
  'PULSAR_NATIVE_UNAVAILABLE',
  'The native Pulsar driver cannot be loaded: %s. Install the optional package pulsar-client with its native addon, or use driver: "websocket"',
  500
)

// Pulsar (transport details)
export const PulsarAdminError = createError(
  'PULSAR_ADMIN_FAILED',
  'Pulsar admin request %s failed: %s',
  502
)
export const PulsarSubscriptionBusyError = createError(
  'PULSAR_SUBSCRIPTION_BUSY',
  'Subscription %s on %s is held by another consumer: %s. An Exclusive subscription takes one consumer (a Failover one takes more, one active); use Shared or Key_Shared for several instances, or another subscription name',
  409
)
export const PulsarSchemaIncompatibleError = createError(
  'PULSAR_SCHEMA_INCOMPATIBLE',
  'Pulsar\'s schema registry refuses the schema of topic %s (compatibility strategy %s): %s. Make the change compatible (add payload fields with a default; a new event type on a JSON topic needs the BACKWARD strategy, or the Avro codec), or publish the change as a new event type',
  409
)
export const PulsarSendError = createError(
  'PULSAR_SEND_FAILED',
  'Pulsar rejected a message for %s: %s',
  502
)

// The database
export const DatabaseUnavailableError = createError(
  'OUTBOX_DATABASE_UNAVAILABLE',
  'Cannot use PostgreSQL at %s: %s',
  503
)
