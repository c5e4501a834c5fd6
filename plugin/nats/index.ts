/**
 * fastify-outbox/nats: the message bus on NATS JetStream, its configuration (in code or from
 * NATS_* variables) and the NATS errors. The clients, @nats-io/transport-node and
 * @nats-io/jetstream, are optional peer dependencies, loaded when a NATS bus starts.
 */
export { NatsBus, type NatsBusOptions } from './nats-bus.js'
export { natsConfigFromEnv, NATS_ENV_VARIABLES, type NatsConfig } from './config-env.js'
export { NatsAuthError, NatsClientMissingError, NatsConfigError, NatsConnectError, NatsJetStreamDisabledError, NatsPublishError } from './errors.js'
