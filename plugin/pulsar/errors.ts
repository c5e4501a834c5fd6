import createError from '@fastify/error'

/**
 * The Pulsar transport's errors. PulsarConnectError, PulsarAuthError and PulsarTopicError mean an
 * outage (the projector keeps its rows pending); the others mean this message, this
 * configuration or this subscription is wrong.
 */

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
