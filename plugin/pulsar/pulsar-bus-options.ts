import type { BusOptions } from '../bus/abstract-bus.js'
import { InvalidOptionsError } from '../errors.js'
import { positiveInteger } from '../option-checks.js'
import type { BackoffOptions } from '../time/backoff.js'
import type { PulsarConfig } from './config.js'
import { defaultDeadLetterTopic, type DeadLetterTopicName } from './dead-letter.js'
import type { InitialPosition, SubscriptionType } from './driver.js'
import { DRIVER_CHOICES, type DriverChoice } from './driver.js'

export interface PulsarBusOptions extends BusOptions, PulsarConfig {
  /** `auto` (default): the native client when its addon loads, else the WebSocket API. */
  driver?: DriverChoice
  /** For subscriptions that do not ask for order; default Shared (instances share the work). Ordered ones use Key_Shared. */
  subscriptionType?: Exclude<SubscriptionType, 'Key_Shared'>
  /**
   * Where a subscription starts the first time it is made; default Earliest, so that events
   * published before a service first subscribed are not skipped. Existing subscriptions keep their place.
   */
  initialPosition?: InitialPosition
  /** Dead-letter topic of a subscription; default `{topic}-{subscription}-DLQ`, Pulsar's own naming. */
  deadLetterTopic?: DeadLetterTopicName
  /** Bound on connecting, and on start()'s broker check, in ms; default 10000. */
  connectTimeoutMs?: number
  /** Bound on one publish, until the broker's receipt, in ms; default 30000. */
  sendTimeoutMs?: number
  /** Publishes in flight per topic; default 1000. */
  maxPendingMessages?: number
  /** Largest encoded envelope, in bytes; default 5 MiB, the broker's default maxMessageSize. */
  maxMessageSize?: number
  /** Messages the broker may hand a consumer before it settles any; default twice the concurrency (at most 1000). */
  receiverQueueSize?: number
  /**
   * Stable producer name prefix, `{producerName}-{topic}` per topic. Unique per process: the
   * broker refuses a second live producer of one name. Default: names the broker generates.
   * Messages carry no sequence ids of ours (see the README on deduplication).
   */
  producerName?: string
  /** Reconnect delays of the websocket driver; default 100 ms doubling to 30 s. */
  reconnectBackoff?: BackoffOptions
  /**
   * Keep Pulsar's schema registry in step (default false): at start, check each known topic's
   * schema (JSON or Avro, from the codec) for compatibility, failing start with
   * PULSAR_SCHEMA_INCOMPATIBLE; on the first publish to a topic, register its schema.
   */
  schemaRegistry?: boolean
}

/** The transport options of PulsarBusOptions, checked and with their defaults. */
export type PulsarBusSettings =
  Required<Omit<PulsarBusOptions, keyof BusOptions | keyof PulsarConfig | 'producerName' | 'reconnectBackoff'>> &
  Pick<PulsarBusOptions, 'producerName' | 'reconnectBackoff'>

/** Checks the transport options and fills in their defaults; InvalidOptionsError names the option. */
export function resolvePulsarBusSettings (options: PulsarBusOptions, concurrency: number): PulsarBusSettings {
  const driver = options.driver ?? 'auto'
  if (!DRIVER_CHOICES.includes(driver)) throw new InvalidOptionsError(`driver must be "auto", "native" or "websocket", got ${JSON.stringify(driver)}`)
  const subscriptionType = options.subscriptionType ?? 'Shared'
  if (!['Shared', 'Failover', 'Exclusive'].includes(subscriptionType)) {
    throw new InvalidOptionsError(`subscriptionType must be "Shared", "Failover" or "Exclusive" (ordered subscriptions use Key_Shared), got ${JSON.stringify(subscriptionType)}`)
  }
  const initialPosition = options.initialPosition ?? 'Earliest'
  if (initialPosition !== 'Earliest' && initialPosition !== 'Latest') throw new InvalidOptionsError(`initialPosition must be "Earliest" or "Latest", got ${JSON.stringify(initialPosition)}`)
  if (options.deadLetterTopic !== undefined && typeof options.deadLetterTopic !== 'function') throw new InvalidOptionsError('deadLetterTopic must be a function (topic, subscription) => topic name')
  if (options.schemaRegistry !== undefined && typeof options.schemaRegistry !== 'boolean') throw new InvalidOptionsError(`schemaRegistry must be true or false, got ${JSON.stringify(options.schemaRegistry)}`)
  if (options.producerName !== undefined && (typeof options.producerName !== 'string' || !/^[\w.-]{1,100}$/.test(options.producerName))) {
    throw new InvalidOptionsError(`producerName must be 1 to 100 letters, digits, "_", "." or "-", got ${JSON.stringify(options.producerName)}`)
  }
  return {
    driver,
    subscriptionType,
    initialPosition,
    deadLetterTopic: options.deadLetterTopic ?? defaultDeadLetterTopic,
    schemaRegistry: options.schemaRegistry ?? false,
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs, 10_000),
    sendTimeoutMs: positiveInteger('sendTimeoutMs', options.sendTimeoutMs, 30_000),
    maxPendingMessages: positiveInteger('maxPendingMessages', options.maxPendingMessages, 1000),
    maxMessageSize: positiveInteger('maxMessageSize', options.maxMessageSize, 5 * 1024 * 1024),
    // Twice the handlers: the next messages are at hand when a handler finishes, no more.
    receiverQueueSize: positiveInteger('receiverQueueSize', options.receiverQueueSize, Math.min(1000, concurrency * 2)),
    ...(options.producerName === undefined ? {} : { producerName: options.producerName }),
    ...(options.reconnectBackoff === undefined ? {} : { reconnectBackoff: options.reconnectBackoff })
  }
}
