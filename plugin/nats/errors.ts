import createError from '@fastify/error'

/**
 * The NATS JetStream transport's errors. NatsConnectError and NatsAuthError mean an outage (the
 * projector keeps its rows pending); the others mean this message or this configuration is wrong.
 */

export const NatsConfigError = createError(
  'NATS_INVALID_CONFIG',
  'Invalid NATS bus configuration: %s',
  500
)
export const NatsClientMissingError = createError(
  'NATS_CLIENT_MISSING',
  'The NATS client cannot be loaded: %s. Install the optional peer dependencies: npm install @nats-io/transport-node @nats-io/jetstream',
  500
)
export const NatsConnectError = createError(
  'NATS_CONNECT_FAILED',
  'Failed to use NATS JetStream at %s: %s. Check that the server is up with JetStream on (nats-server -js), that it is reachable from here, and the value of NATS_URL',
  503
)
export const NatsAuthError = createError(
  'NATS_AUTH_FAILED',
  'NATS at %s refused us: %s. Check the credentials in NATS_URL (nats://user:password@host:port) and the user\'s permissions on the bus\'s subjects and on $JS.API.>',
  503
)
export const NatsJetStreamDisabledError = createError(
  'NATS_JETSTREAM_DISABLED',
  'NATS at %s does not have JetStream enabled for this account: %s. Start the server with -js (or jetstream {} in its configuration) and give the account JetStream limits',
  500
)
export const NatsPublishError = createError(
  'NATS_PUBLISH_FAILED',
  'JetStream refused a message for %s: %s',
  502
)
