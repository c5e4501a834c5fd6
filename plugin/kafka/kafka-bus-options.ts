import type { BusOptions } from '../bus/abstract-bus.js'
import { positiveInteger } from '../option-checks.js'
import type { BackoffOptions } from '../time/backoff.js'
import { KafkaConfigError } from './errors.js'

/** Chooses the dead-letter topic of a subscription on a topic (both full Kafka topic names). */
export type KafkaDeadLetterTopicName = (topic: string, subscription: string) => string

export interface KafkaBusOptions extends BusOptions {
  /** `host:port` of one or more brokers (a list, or one comma-separated string); the client finds the rest. */
  brokers: readonly string[] | string
  /** The client id brokers show in their logs and quotas; default the source. */
  clientId?: string
  /** Put before every topic name, e.g. `"prod."`; default none. */
  topicPrefix?: string
  /** Dead-letter topic of a subscription; default `{topic}-{subscription}-DLQ`. */
  deadLetterTopic?: KafkaDeadLetterTopicName
  /** Bound on start()'s broker check and on joining a consumer group, in ms; default 10000. */
  connectTimeoutMs?: number
  /** Bound on one publish, until the brokers' acknowledgement, in ms; default 30000. */
  sendTimeoutMs?: number
  /** Largest encoded envelope, in bytes, refused before sending; default 1 MiB, the brokers' default message.max.bytes. */
  maxMessageSize?: number
  /** Records per produce request, at most; default 500. */
  maxBatchRecords?: number
  /** How long a consumer may go silent before the group gives its partitions to others, in ms; default 10000. */
  sessionTimeoutMs?: number
  /** How often settled offsets are committed, in ms; default 200. */
  commitIntervalMs?: number
  /** Messages a consumer holds unsettled before it stops fetching; default four times the concurrency. */
  maxUnsettled?: number
  /** Delays between attempts to rejoin after the brokers went away; default 100 ms doubling to 30 s. */
  reconnectBackoff?: BackoffOptions
}

export interface KafkaBusSettings {
  readonly brokers: readonly string[]
  readonly clientId: string
  readonly topicPrefix: string
  readonly deadLetterTopic: KafkaDeadLetterTopicName
  readonly connectTimeoutMs: number
  readonly sendTimeoutMs: number
  readonly maxMessageSize: number
  readonly maxBatchRecords: number
  readonly sessionTimeoutMs: number
  readonly commitIntervalMs: number
  readonly maxUnsettled: number
  readonly reconnectBackoff: BackoffOptions | undefined
}

export const defaultKafkaDeadLetterTopic: KafkaDeadLetterTopicName = (topic, subscription) => `${topic}-${subscription}-DLQ`

/** Kafka's own rule for topic names (and so for the prefix). */
const TOPIC_CHARACTERS = /^[A-Za-z0-9._-]*$/

/** Checks the transport options and fills in their defaults; KafkaConfigError names the option. */
export function resolveKafkaBusSettings (options: KafkaBusOptions, concurrency: number): KafkaBusSettings {
  const brokers = typeof options.brokers === 'string' ? options.brokers.split(',').map((b) => b.trim()).filter((b) => b !== '') : options.brokers
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw new KafkaConfigError('brokers must list at least one broker as host:port, e.g. ["127.0.0.1:9092"] (KAFKA_BROKERS=127.0.0.1:9092)')
  }
  for (const broker of brokers) {
    if (typeof broker !== 'string' || !/^[^\s:/]+:\d{1,5}$/.test(broker) || Number(broker.slice(broker.lastIndexOf(':') + 1)) > 65535) {
      throw new KafkaConfigError(`brokers must be host:port (no scheme), got ${JSON.stringify(broker)}`)
    }
  }
  const topicPrefix = options.topicPrefix ?? ''
  if (typeof topicPrefix !== 'string' || !TOPIC_CHARACTERS.test(topicPrefix) || topicPrefix.length > 100) {
    throw new KafkaConfigError(`topicPrefix may hold letters, digits, ".", "_" and "-" (at most 100), got ${JSON.stringify(topicPrefix)}`)
  }
  const clientId = options.clientId ?? options.source
  if (typeof clientId !== 'string' || clientId === '') throw new KafkaConfigError(`clientId must be a non-empty string, got ${JSON.stringify(clientId)}`)
  if (options.deadLetterTopic !== undefined && typeof options.deadLetterTopic !== 'function') {
    throw new KafkaConfigError('deadLetterTopic must be a function (topic, subscription) => topic name')
  }
  const sessionTimeoutMs = positiveInteger('sessionTimeoutMs', options.sessionTimeoutMs, 10_000)
  return {
    brokers: [...brokers],
    clientId,
    topicPrefix,
    deadLetterTopic: options.deadLetterTopic ?? defaultKafkaDeadLetterTopic,
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    sendTimeoutMs: positiveInteger('sendTimeoutMs', options.sendTimeoutMs, 30_000),
    maxMessageSize: positiveInteger('maxMessageSize', options.maxMessageSize, 1024 * 1024),
    maxBatchRecords: positiveInteger('maxBatchRecords', options.maxBatchRecords, 500),
    sessionTimeoutMs,
    commitIntervalMs: positiveInteger('commitIntervalMs', options.commitIntervalMs, 200),
    maxUnsettled: positiveInteger('maxUnsettled', options.maxUnsettled, concurrency * 4),
    reconnectBackoff: options.reconnectBackoff
  }
}

/** A Kafka topic name, checked: the bus's topic short names are event types or definitions' topics. */
export function kafkaTopic (settings: KafkaBusSettings, name: string): string {
  const topic = `${settings.topicPrefix}${name}`
  if (!TOPIC_CHARACTERS.test(topic) || topic.length > 249 || topic === '.' || topic === '..') {
    throw new KafkaConfigError(`${JSON.stringify(topic)} is not a Kafka topic name: letters, digits, ".", "_" and "-", at most 249`)
  }
  return topic
}
