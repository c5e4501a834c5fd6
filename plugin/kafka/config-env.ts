import type { KafkaBusOptions } from './kafka-bus-options.js'
import { KafkaConfigError } from './errors.js'

/** The environment variables kafkaConfigFromEnv reads, for messages and docs. */
export const KAFKA_ENV_VARIABLES = ['KAFKA_BROKERS', 'KAFKA_CLIENT_ID', 'KAFKA_TOPIC_PREFIX'] as const

/** The connection part of KafkaBusOptions. */
export type KafkaConfig = Pick<KafkaBusOptions, 'brokers' | 'clientId' | 'topicPrefix'>

/**
 * Reads the Kafka settings from the environment: KAFKA_BROKERS (required, comma-separated
 * host:port), KAFKA_CLIENT_ID, KAFKA_TOPIC_PREFIX. An empty variable counts as unset. The values
 * are checked when the bus is made (KafkaConfigError names the option).
 */
export function kafkaConfigFromEnv (env: NodeJS.ProcessEnv = process.env): KafkaConfig {
  const brokers = read(env, 'KAFKA_BROKERS')
  if (brokers === undefined) throw new KafkaConfigError('KAFKA_BROKERS is not set: set it to the brokers as host:port, e.g. KAFKA_BROKERS=127.0.0.1:9092')
  const clientId = read(env, 'KAFKA_CLIENT_ID')
  const topicPrefix = read(env, 'KAFKA_TOPIC_PREFIX')
  return { brokers, ...(clientId === undefined ? {} : { clientId }), ...(topicPrefix === undefined ? {} : { topicPrefix }) }
}

function read (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}
