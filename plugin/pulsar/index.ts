/**
 * fastify-outbox/pulsar: the Apache Pulsar bus, its configuration (from options or PULSAR_*
 * variables), the admin client and the Pulsar errors (./errors.ts). Its native driver
 * (`pulsar-client`, an optional peer) is loaded only when a bus starts with it; the WebSocket
 * driver needs nothing installed.
 */
export { PulsarBus, type PulsarBusOptions } from './pulsar-bus.js'
export { describePulsarConfig, topicFor, type PulsarConfig, type PulsarTlsConfig, type ResolvedPulsarConfig, type TopicPrefix } from './config.js'
export { pulsarConfigFromEnv, PULSAR_ENV_VARIABLES, type PulsarEnvConfig } from './config-env.js'
export { pulsarAdmin, type PulsarAdmin, type PulsarAdminOptions, type TopicStats } from './admin.js'
export { defaultDeadLetterTopic, type DeadLetterTopicName } from './dead-letter.js'
export { DEAD_LETTER_PROPERTY, PROPERTY as MESSAGE_PROPERTY } from '../bus/message-properties.js'
export { DRIVER_CHOICES, type DriverChoice, type DriverName } from './driver.js'
export type { SelectedDriver } from './select-driver.js'
export type { BackoffOptions } from '../time/backoff.js'
export {
  PulsarAdminError, PulsarAuthError, PulsarConfigError, PulsarConnectError, PulsarMessageTooLargeError,
  PulsarNativeDriverError, PulsarSchemaIncompatibleError, PulsarSendError, PulsarSubscriptionBusyError, PulsarTopicError
} from './errors.js'
