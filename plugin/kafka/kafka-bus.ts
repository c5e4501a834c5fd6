import { AbstractBus } from '../bus/abstract-bus.js'
import type { SubscriptionGroup } from '../bus/subscription-registry.js'
import { withTimeout } from '../time/time-limits.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { BusNotStartedError } from '../errors.js'
import { clientFailure, describeClientError } from './client-errors.js'
import { KafkaConnectError, KafkaMessageTooLargeError } from './errors.js'
import { KafkaGroupConsumer } from './group-consumer.js'
import { kafkaTopic, resolveKafkaBusSettings, type KafkaBusOptions, type KafkaBusSettings } from './kafka-bus-options.js'
import { loadKafkaClient, type KafkaClientModule } from './load-client.js'
import { ProduceBatcher, type OutgoingRecord, type RecordProducer } from './produce-batcher.js'
import { deadLetterRecord, envelopeRecord } from './records.js'
import { declareOutageCodes } from '../bus/outage.js'

// The projector leaves rows pending (no attempt counted) while these say the broker is away.
declareOutageCodes(['KAFKA_CONNECT_FAILED', 'KAFKA_AUTH_FAILED', 'KAFKA_TOPIC_NOT_AVAILABLE'])

export type { KafkaBusOptions, KafkaDeadLetterTopicName } from './kafka-bus-options.js'

const asBytes = (text?: string): Buffer | undefined => text === undefined ? undefined : Buffer.from(text)
const passBytes = (data?: Buffer): Buffer | undefined => data

/**
 * The message bus on Apache Kafka. Topics are `{topicPrefix}{topic of the event type}`; the
 * envelope encoded by the codec is the record value, its ids and trace context are record
 * headers, its partition key is the record key (so one key stays in one partition, in order).
 * Each subscription group is a Kafka consumer group `{subscription}.{topic}`: the instances of a
 * service share a topic's partitions. Publishes wait for all in-sync replicas, and those made
 * while a produce request is in flight leave together in the next one.
 */
export class KafkaBus extends AbstractBus {
  readonly kind = 'kafka'
  readonly settings: KafkaBusSettings
  readonly #consumers = new Map<SubscriptionGroup, KafkaGroupConsumer>()
  #client: KafkaClientModule | null = null
  #producer: RecordProducer | null = null
  #batcher: ProduceBatcher | null = null

  constructor (options: KafkaBusOptions) {
    super(options)
    this.settings = resolveKafkaBusSettings(options, this.options.concurrency)
  }

  /** The Kafka topic of an event type or topic short name. */
  topicFor (name: string): string {
    return kafkaTopic(this.settings, name)
  }

  protected async connect (): Promise<void> {
    const { brokers, clientId, connectTimeoutMs, sendTimeoutMs, maxBatchRecords } = this.settings
    const client = await loadKafkaClient()
    await this.#probe(client)
    const producer: RecordProducer = new client.Producer<string, Buffer, string, string>({
      clientId,
      bootstrapBrokers: [...brokers],
      timeout: Math.min(connectTimeoutMs, sendTimeoutMs),
      retries: 3,
      acks: -1,
      autocreateTopics: true,
      serializers: { key: asBytes, value: passBytes, headerKey: asBytes, headerValue: asBytes }
    })
    this.options.logger.info({ brokers, clientId }, 'Kafka bus connected')
    this.#client = client
    this.#producer = producer
    this.#batcher = new ProduceBatcher({ maxBatchRecords, send: async (records) => await this.#produce(producer, records) })
  }

  protected async disconnect (): Promise<void> {
    const producer = this.#producer
    this.#producer = null
    this.#batcher = null
    this.#client = null
    await producer?.close().catch(() => {})
  }

  protected async send (topic: string, bytes: Buffer, envelope: MessageEnvelope, contentType: string, properties: Readonly<Record<string, string>>): Promise<void> {
    const kafkaName = this.topicFor(topic)
    if (bytes.length > this.settings.maxMessageSize) throw new KafkaMessageTooLargeError(envelope.eventId, kafkaName, bytes.length)
    await this.#batcherOrFail().send(envelopeRecord(kafkaName, bytes, envelope, contentType, properties))
  }

  protected async openConsumer (group: SubscriptionGroup): Promise<void> {
    const client = this.#client
    if (client === null) throw new BusNotStartedError(this.kind)
    const topic = this.topicFor(group.topic)
    const consumer = new KafkaGroupConsumer(group, {
      ...this.groupConsumerSettings,
      client,
      settings: this.settings,
      topic,
      deadLetter: async (record, reason, envelope) => {
        const deadLetterTopic = kafkaTopic({ ...this.settings, topicPrefix: '' }, this.settings.deadLetterTopic(topic, group.subscription))
        await this.#batcherOrFail().send(deadLetterRecord(deadLetterTopic, record, group.subscription, reason, envelope))
      }
    })
    this.#consumers.set(group, consumer)
    try {
      await consumer.open()
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

  /** A metadata round trip proves a broker answers before start() resolves; few retries, so a refused connection fails fast. */
  async #probe (client: KafkaClientModule): Promise<void> {
    const { brokers, clientId, connectTimeoutMs } = this.settings
    const admin = new client.Admin({ clientId, bootstrapBrokers: [...brokers], timeout: connectTimeoutMs, retries: 1, retryDelay: 200 })
    try {
      await withTimeout(admin.metadata({ topics: [] }), connectTimeoutMs, () => Object.assign(new Error(`no answer within ${connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }))
    } catch (err) {
      const failure = clientFailure(err, { brokers: brokers.join(','), topic: '(none)', message: 'start', size: 0 })
      throw failure instanceof KafkaConnectError ? failure : new KafkaConnectError(brokers.join(','), describeClientError(err))
    } finally {
      void admin.close().catch(() => {})
    }
  }

  async #produce (producer: RecordProducer, records: readonly OutgoingRecord[]): Promise<void> {
    const { brokers, sendTimeoutMs } = this.settings
    const first = records[0]!
    try {
      await withTimeout(producer.send({
        messages: records.map((r) => ({ topic: r.topic, value: r.value, headers: r.headers, ...(r.key === null ? {} : { key: r.key }) }))
      }), sendTimeoutMs, () => Object.assign(new Error(`no acknowledgement within sendTimeoutMs (${sendTimeoutMs} ms)`), { code: 'ETIMEDOUT' }))
    } catch (err) {
      throw clientFailure(err, {
        brokers: brokers.join(','),
        topic: first.topic,
        message: records.length === 1 ? (first.headers.event_id ?? 'record') : `batch of ${records.length} records`,
        size: first.value.length
      })
    }
  }

  #batcherOrFail (): ProduceBatcher {
    if (this.#batcher === null) throw new BusNotStartedError(this.kind)
    return this.#batcher
  }
}
