import createError from '@fastify/error'

/**
 * The Kafka transport's errors. KafkaConnectError, KafkaAuthError and KafkaTopicError mean an
 * outage (the projector keeps its rows pending); the others mean this message or this
 * configuration is wrong.
 */

export const KafkaConfigError = createError(
  'KAFKA_INVALID_CONFIG',
  'Invalid Kafka configuration: %s',
  500
)
export const KafkaClientMissingError = createError(
  'KAFKA_CLIENT_MISSING',
  'The Kafka client cannot be loaded: %s. Install the optional peer dependency: npm install @platformatic/kafka',
  500
)
export const KafkaConnectError = createError(
  'KAFKA_CONNECT_FAILED',
  'Failed to reach Kafka at %s: %s. Check that the brokers are up, that their ports are reachable from here, and the value of KAFKA_BROKERS',
  503
)
export const KafkaAuthError = createError(
  'KAFKA_AUTH_FAILED',
  'Kafka at %s refused us: %s. Check the client\'s credentials and the ACLs of the topic and consumer group',
  503
)
export const KafkaTopicError = createError(
  'KAFKA_TOPIC_NOT_AVAILABLE',
  'Kafka topic %s is not available: %s. Create it (with the partitions you need) or enable auto.create.topics.enable on the brokers',
  503
)
export const KafkaMessageTooLargeError = createError(
  'KAFKA_MESSAGE_TOO_LARGE',
  'Message %s for topic %s is %s bytes, over the limit of the broker or topic (message.max.bytes, max.message.bytes). Keep payloads small: store large documents elsewhere and publish a reference',
  413
)
export const KafkaSendError = createError(
  'KAFKA_SEND_FAILED',
  'Kafka refused a message for %s: %s',
  502
)
