import { AbstractBus } from '../bus/abstract-bus.js'
import { checkReplayOptions, type ReplayDeadLettersOptions } from '../bus/replay-options.js'
import type { SubscriptionGroup } from '../bus/subscription-registry.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { BusNotStartedError } from '../errors.js'
import { pulsarAdmin, type PulsarAdmin } from './admin.js'
import { describePulsarConfig, resolvePulsarConfig, topicFor, type ResolvedPulsarConfig } from './config.js'
import { deadLetterMessage } from './dead-letter.js'
import { replayDeadLetters, replaySubscriptionOf } from './dead-letter-replay.js'
import type { PulsarDriver } from './driver.js'
import { GroupConsumer } from './group-consumer.js'
import { envelopeProperties } from '../bus/message-properties.js'
import { ProducerCache } from './producer-cache.js'
import { resolvePulsarBusSettings, type PulsarBusOptions, type PulsarBusSettings } from './pulsar-bus-options.js'
import { SchemaRegistry } from './schema-registry.js'
import { selectDriver, type SelectedDriver } from './select-driver.js'
import { declareOutageCodes } from '../bus/outage.js'

// The projector leaves rows pending (no attempt counted) while these say the broker is away.
declareOutageCodes(['PULSAR_CONNECT_FAILED', 'PULSAR_AUTH_FAILED', 'PULSAR_TOPIC_NOT_FOUND'])

export type { PulsarBusOptions } from './pulsar-bus-options.js'

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
  #selection: Promise<{ driver: PulsarDriver, selected: SelectedDriver }> | null = null
  #selected: SelectedDriver | null = null
  #producers: ProducerCache | null = null
  #schemas: SchemaRegistry | null = null

  constructor (options: PulsarBusOptions) {
    super(options)
    this.config = resolvePulsarConfig(options)
    this.#settings = resolvePulsarBusSettings(options, this.options.concurrency)
  }

  /** The driver in use once started: "native" or "websocket". */
  get driverName (): SelectedDriver['name'] | null {
    return this.#driver?.name ?? null
  }

  /** The driver chosen (by selectDriver() or start()) and why; null before either. */
  get selectedDriver (): SelectedDriver | null {
    return this.#selected
  }

  /**
   * Chooses the driver now, before start(), so that an application can say which one runs and
   * why in its first log line; start() uses this choice. Fails as start() would when `native`
   * is asked for and the addon does not load.
   */
  async selectDriver (): Promise<SelectedDriver> {
    return (await this.#select()).selected
  }

  /** The admin REST API of the same broker (topic list and stats), for operations and health checks. */
  admin (): PulsarAdmin {
    return pulsarAdmin(this.config, { timeoutMs: this.#settings.connectTimeoutMs })
  }

  /** Fully qualified topic of an event type or topic short name. */
  topicFor (name: string): string {
    return topicFor(this.config, name)
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
    const { driver: chosen, selected } = await this.#select()
    // A later start after stop() chooses again: the addon may have been installed meanwhile.
    this.#selection = null
    this.#driver = chosen
    logger.info({ driver: selected.name, reason: selected.reason, pulsar: describePulsarConfig(this.config) }, `Pulsar bus connecting with the ${selected.name} driver`)
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
    const producer = await this.#producerCache().get(topicFor(this.config, topic))
    await this.#schemas?.ensureRegistered(topic)
    await producer.send({ bytes, properties: { ...envelopeProperties(envelope, contentType), ...properties }, key: envelope.partitionKey })
  }

  protected async openConsumer (group: SubscriptionGroup): Promise<void> {
    const driver = this.#driver
    if (driver === null) throw new BusNotStartedError(this.kind)
    const { retryDelayMs } = this.options
    const topic = topicFor(this.config, group.topic)
    const consumer = new GroupConsumer(group, {
      ...this.groupConsumerSettings,
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

  async #select (): Promise<{ driver: PulsarDriver, selected: SelectedDriver }> {
    const settings = this.#settings
    this.#selection ??= selectDriver(settings.driver, this.config, {
      logger: this.options.logger,
      connectTimeoutMs: settings.connectTimeoutMs,
      sendTimeoutMs: settings.sendTimeoutMs,
      maxPendingMessages: settings.maxPendingMessages,
      maxMessageSize: settings.maxMessageSize,
      ...(settings.reconnectBackoff === undefined ? {} : { websocket: { backoff: settings.reconnectBackoff } })
    }).then((selection) => {
      this.#selected = selection.selected
      return selection
    }, (err: unknown) => {
      this.#selection = null
      throw err
    })
    return await this.#selection
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
