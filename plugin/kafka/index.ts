/**
 * fastify-outbox/kafka: the message bus on Apache Kafka, its configuration (in code or from
 * KAFKA_* variables) and the Kafka errors. The client, @platformatic/kafka, is an optional peer
 * dependency, loaded when a Kafka bus starts.
 */
export { KafkaBus, type KafkaBusOptions, type KafkaDeadLetterTopicName } from './kafka-bus.js'
export { defaultKafkaDeadLetterTopic } from './kafka-bus-options.js'
export { kafkaConfigFromEnv, KAFKA_ENV_VARIABLES, type KafkaConfig } from './config-env.js'
export {
  KafkaAuthError,
  KafkaClientMissingError,
  KafkaConfigError,
  KafkaConnectError,
  KafkaMessageTooLargeError,
  KafkaSendError,
  KafkaTopicError
} from './errors.js'
