import { AbstractBus } from '../bus/abstract-bus.js'
import { checkReplayOptions, type ReplayDeadLettersOptions } from '../bus/replay-options.js'
import type { SubscriptionGroup } from '../bus/subscription-registry.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { BusNotStartedError, InvalidOptionsError } from '../errors.js'
import { pulsarAdmin, type PulsarAdmin } from './admin.js'
import { describePulsarConfig, resolvePulsarConfig, topicFor, type ResolvedPulsarConfig } from './config.js'
import { deadLetterMessage } from './dead-letter.js'
import { replayDeadLetters, replaySubscriptionOf } from './dead-letter-replay.js'
import type { DriverName, PulsarDriver } from './driver.js'
import { GroupConsumer } from './group-consumer.js'
import { envelopeProperties } from './message-properties.js'
import { ProducerCache } from './producer-cache.js'
import { resolvePulsarBusSettings, type PulsarBusOptions, type PulsarBusSettings, type PulsarPublishOptions } from './pulsar-bus-options.js'
import { SchemaRegistry } from './schema-registry.js'
import { selectDriver } from './select-driver.js'

export type { PulsarBusOptions, PulsarPublishOptions } from './pulsar-bus-options.js'

/**
 * The message bus on Apache Pulsar. Topics are `{prefix}://{tenant}/{namespace}/{topic of the
 * event type}`; the envelope encoded by the codec is the payload, its ids are also message
 * properties, its partition key is the message key. Each subscription group is one consumer on a
 * durable subscription (default name: the service's `source`), Shared by default so that the
 * instances of a service split the work, Key_Shared when a handler asks for order.
 */
export class PulsarBus extends AbstractBus {
  readonly kind = 'pulsar'
  readonly config: ResolvedPulsarConfig
  readonly #settings: PulsarBusSettings
  readonly #consumers = new Map<SubscriptionGroup, GroupConsumer>()
  /** Per dead-letter topic, the making of its replay subscription: parkings wait for it together, in their order. */
  readonly #keptDeadLetterTopics = new Map<string, Promise<void>>()
  #driver: PulsarDriver | null = null
  #producers: ProducerCache | null = null
  #schemas: SchemaRegistry | null = null

  constructor (options: PulsarBusOptions) {
    super(options)
    this.config = resolvePulsarConfig(options)
    this.#settings = resolvePulsarBusSettings(options, this.options.concurrency)
  }

  /** The driver in use once started: "native" or "websocket". */
  get driverName (): DriverName | null {
    return this.#driver?.name ?? null
  }

  /** The admin REST API of the same broker (topic list and stats), for operations and health checks. */
  admin (): PulsarAdmin {
    return pulsarAdmin(this.config, { timeoutMs: this.#settings.connectTimeoutMs })
  }

  /** Fully qualified topic of an event type or topic short name. */
  topicFor (name: string): string {
    return topicFor(this.config, name)
  }

  override async publish (envelope: MessageEnvelope, options: PulsarPublishOptions = {}): Promise<void> {
    if (options.sequenceId === undefined) return await super.publish(envelope, options)
    if (!this.started) throw new BusNotStartedError(this.kind)
    const topic = options.topic ?? this.options.catalog.topicOf(envelope.eventType)
    const { bytes, contentType, properties } = this.codecs.encode(envelope)
    await this.#sendTo(topic, bytes, envelope, contentType, properties, sequenceNumber(options.sequenceId))
  }

  /**
   * Sends the messages a subscription dead-lettered back to their topics for another try, each
   * acknowledged on the dead-letter topic only once re-sent; returns how many. See
   * dead-letter-replay.ts for which messages and what the other subscriptions see.
   */
  async replayDeadLetters (options: ReplayDeadLettersOptions): Promise<number> {
    const driver = this.#driver
    if (!this.started || driver === null) throw new BusNotStartedError(this.kind)
    const { subscription, limit, ...given } = checkReplayOptions(options)
    const topic = given.topic.includes('://') ? given.topic : topicFor(this.config, this.options.catalog.topicOf(given.topic))
    return await replayDeadLetters({
      driver,
      admin: this.admin(),
      producerFor: async (destination) => await this.#producerCache().get(destination),
      deadLetterTopic: this.#qualified(this.#settings.deadLetterTopic(topic, subscription)),
      topic,
      subscription,
      limit,
      timeoutMs: this.#settings.sendTimeoutMs,
      logger: this.options.logger
    })
  }

  protected async connect (): Promise<void> {
    const { logger } = this.options
    const settings = this.#settings
    this.#driver = await selectDriver(settings.driver, this.config, {
      logger,
      connectTimeoutMs: settings.connectTimeoutMs,
      sendTimeoutMs: settings.sendTimeoutMs,
      maxPendingMessages: settings.maxPendingMessages,
      maxMessageSize: settings.maxMessageSize,
      ...(settings.reconnectBackoff === undefined ? {} : { websocket: { backoff: settings.reconnectBackoff } })
    })
    logger.info({ driver: this.#driver.name, pulsar: describePulsarConfig(this.config) }, `Pulsar bus connecting with the ${this.#driver.name} driver`)
    await this.#driver.connect()
    if (settings.schemaRegistry) {
      const { codec, catalog } = this.options
      this.#schemas = new SchemaRegistry({ admin: this.admin(), config: this.config, codec, catalog, logger })
      await this.#schemas.checkAll()
      // Readers find writer schemas they do not hold (a newer or older producer's) in the registry.
      for (const reader of [codec, ...this.options.codecs]) reader.useSchemaRegistry?.(this.#schemas)
    }
    const driver = this.#driver
    this.#producers = new ProducerCache(async (topic) => await driver.createProducer({
      topic,
      ...(settings.producerName === undefined ? {} : { producerName: `${settings.producerName}-${topic.slice(topic.lastIndexOf('/') + 1)}` })
    }))
  }

  protected async disconnect (): Promise<void> {
    const producers = this.#producers
    const driver = this.#driver
    this.#producers = null
    this.#driver = null
    await producers?.closeAll()
    await driver?.close()
  }

  protected async send (topic: string, bytes: Buffer, envelope: MessageEnvelope, contentType: string, properties: Readonly<Record<string, string>>): Promise<void> {
    await this.#sendTo(topic, bytes, envelope, contentType, properties, undefined)
  }

  protected async openConsumer (group: SubscriptionGroup): Promise<void> {
    const driver = this.#driver
    if (driver === null) throw new BusNotStartedError(this.kind)
    const { dispatcher } = this
    const { logger, concurrency, drainTimeoutMs, retryDelayMs } = this.options
    const topic = topicFor(this.config, group.topic)
    const consumer = new GroupConsumer(group, {
      dispatcher,
      logger,
      concurrency,
      drainTimeoutMs,
      consume: { retryDelayMs, signal: this.stopSignal },
      deadLetter: async (message, reason, envelope) => {
        const deadLetterTopic = this.#qualified(this.#settings.deadLetterTopic(topic, group.subscription))
        await this.#keepParkedMessages(deadLetterTopic, group.subscription)
        const producer = await this.#producerCache().get(deadLetterTopic)
        await producer.send(deadLetterMessage({ message, topic, subscription: group.subscription, reason, envelope }))
      }
    })
    this.#consumers.set(group, consumer)
    try {
      await consumer.open(driver, {
        topic,
        subscription: group.subscription,
        type: group.ordered && this.#settings.subscriptionType === 'Shared' ? 'Key_Shared' : this.#settings.subscriptionType,
        initialPosition: this.#settings.initialPosition,
        receiverQueueSize: this.#settings.receiverQueueSize,
        // The broker waits this long before redelivering a failed message: our retry delay.
        nackRedeliveryDelayMs: Math.max(10, retryDelayMs)
      })
    } catch (err) {
      this.#consumers.delete(group)
      throw err
    }
  }

  protected async closeConsumer (group: SubscriptionGroup): Promise<void> {
    const consumer = this.#consumers.get(group)
    if (consumer === undefined) return
    this.#consumers.delete(group)
    await consumer.close()
  }

  async #sendTo (topic: string, bytes: Buffer, envelope: MessageEnvelope, contentType: string, codecProperties: Readonly<Record<string, string>>, sequenceId: number | undefined): Promise<void> {
    const producer = await this.#producerCache().get(topicFor(this.config, topic))
    await this.#schemas?.ensureRegistered(topic)
    await producer.send({
      bytes,
      properties: { ...envelopeProperties(envelope, contentType), ...codecProperties },
      key: envelope.partitionKey,
      ...(sequenceId === undefined ? {} : { sequenceId })
    })
  }

  #producerCache (): ProducerCache {
    if (this.#producers === null) throw new BusNotStartedError(this.kind)
    return this.#producers
  }

  /**
   * Makes sure a dead-letter topic has its replay subscription, from the earliest message, before
   * the first message is parked there. Without any subscription the broker keeps a topic's
   * messages only until it trims its ledgers, and its default settings delete a topic with no
   * subscription once it is idle for a minute: parked messages would be lost. Not fatal when it
   * fails (the admin API unreachable): the message is parked anyway, and the next one tries again.
   */
  async #keepParkedMessages (deadLetterTopic: string, subscription: string): Promise<void> {
    let keeping = this.#keptDeadLetterTopics.get(deadLetterTopic)
    if (keeping === undefined) {
      keeping = this.admin().createSubscription(deadLetterTopic, replaySubscriptionOf(subscription), 'Earliest').then(() => {})
      this.#keptDeadLetterTopics.set(deadLetterTopic, keeping)
    }
    try {
      await keeping
    } catch (err) {
      if (this.#keptDeadLetterTopics.get(deadLetterTopic) === keeping) this.#keptDeadLetterTopics.delete(deadLetterTopic)
      this.options.logger.warn({ deadLetterTopic, err }, 'Could not create the dead-letter topic\'s replay subscription; its messages are kept only as long as the broker keeps unsubscribed topics')
    }
  }

  #qualified (topic: string): string {
    return topic.includes('://') ? topic : topicFor(this.config, topic)
  }
}

function sequenceNumber (value: number | bigint): number {
  const number = typeof value === 'bigint' && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number < 0) {
    throw new InvalidOptionsError(`sequenceId must be a whole number from 0 to ${Number.MAX_SAFE_INTEGER}, got ${String(value)}`)
  }
  return number
}
