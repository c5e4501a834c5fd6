import type { Consumer, Message, MessagesStream } from '@platformatic/kafka'
import { consumeMessage, type GroupConsumerSettings } from '../bus/consume-message.js'
import { KeyedWorkQueue } from '../bus/keyed-work-queue.js'
import { settlesWithin, withTimeout } from '../time/time-limits.js'
import type { SubscriptionGroup } from '../bus/subscription-registry.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { eventLogFields } from '../logger.js'
import { backoffDelay } from '../time/backoff.js'
import { PROPERTY } from '../bus/message-properties.js'
import { clientFailure, describeClientError } from './client-errors.js'
import type { KafkaBusSettings } from './kafka-bus-options.js'
import type { KafkaClientModule } from './load-client.js'
import { OffsetTracker } from './offset-tracker.js'
import { recordId, type ReceivedRecord } from './records.js'

type RecordConsumer = Consumer<string, Buffer, string, string>
type RecordStream = MessagesStream<string, Buffer, string, string>

export interface KafkaGroupConsumerOptions extends GroupConsumerSettings {
  readonly client: KafkaClientModule
  readonly settings: KafkaBusSettings
  /** Full Kafka topic name. */
  readonly topic: string
  /** Parks a record in the dead-letter topic; resolves once the brokers have it. */
  readonly deadLetter: (record: ReceivedRecord, reason: string, envelope: MessageEnvelope | null) => Promise<void>
}

const passBytes = (data?: Buffer): Buffer => data ?? Buffer.alloc(0)
const asText = (data?: Buffer): string => data?.toString() ?? ''

/**
 * The consumer of one subscription group: a Kafka consumer group named `{subscription}.{topic}`
 * reading one topic. Records go through a KeyedWorkQueue to consumeMessage(), as in the other
 * buses (key = the record key on ordered subscriptions). Kafka keeps one position per partition,
 * so the OffsetTracker commits up to the oldest unsettled record; a failed handler is retried
 * here after the retry delay (the record stays unsettled meanwhile), and a dead-lettered record
 * is settled once the dead-letter topic has it. A rebalance, or the brokers going away, starts a
 * new generation: the group redelivers whatever was not committed, and records of the old
 * generation that have not started are dropped.
 */
export class KafkaGroupConsumer {
  readonly group: SubscriptionGroup
  readonly groupId: string
  readonly #options: KafkaGroupConsumerOptions
  readonly #queue: KeyedWorkQueue<ReceivedRecord>
  readonly #retryTimers = new Set<NodeJS.Timeout>()
  #tracker = new OffsetTracker()
  #generation = 0
  #consumer: RecordConsumer | null = null
  #stream: RecordStream | null = null
  #commitTimer: NodeJS.Timeout | null = null
  #reconnectTimer: NodeJS.Timeout | null = null
  #reconnectAttempt = 0
  #reconnecting = false
  #closed = false

  constructor (group: SubscriptionGroup, options: KafkaGroupConsumerOptions) {
    this.group = group
    this.groupId = `${group.subscription}.${options.topic}`
    this.#options = options
    this.#queue = new KeyedWorkQueue(options.concurrency, async (record) => await this.#consume(record))
  }

  /** Joins the group and starts reading; rejects with an outage error when the brokers cannot be reached in time. */
  async open (): Promise<void> {
    await this.#connect()
    this.#commitTimer = setInterval(() => { void this.#commit() }, this.#options.settings.commitIntervalMs)
  }

  /** Stops reading, waits up to drainTimeoutMs for running handlers, commits what they settled, leaves the group. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer)
    for (const timer of this.#retryTimers) clearTimeout(timer)
    this.#retryTimers.clear()
    this.#stream?.pause()
    if (!await settlesWithin(this.#queue.idle(), this.#options.drainTimeoutMs)) {
      this.#options.logger.warn({ topic: this.#options.topic, groupId: this.groupId, running: this.#queue.size },
        'Handlers still running after drainTimeoutMs; leaving the group: their records will be delivered again')
    }
    if (this.#commitTimer !== null) clearInterval(this.#commitTimer)
    await this.#commit()
    await this.#disconnect()
  }

  async #connect (): Promise<void> {
    const { client, settings, topic } = this.#options
    const consumer: RecordConsumer = new client.Consumer<string, Buffer, string, string>({
      clientId: settings.clientId,
      bootstrapBrokers: [...settings.brokers],
      groupId: this.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: Math.max(100, Math.floor(settings.sessionTimeoutMs / 4)),
      timeout: settings.connectTimeoutMs,
      retries: 2,
      // A topic nobody published to yet is created (with the brokers' default partitions) when
      // the brokers allow it, as a first publish would.
      autocreateTopics: true,
      deserializers: { key: asText, value: passBytes, headerKey: asText, headerValue: asText }
    })
    // Every join (the first, and each rebalance) refetches from the committed positions.
    consumer.on('consumer:group:join', () => { this.#newGeneration() })
    let stream: RecordStream
    try {
      stream = await withTimeout(consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 500 }),
        settings.connectTimeoutMs, () => Object.assign(new Error(`no answer joining consumer group ${this.groupId} within ${settings.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }))
    } catch (err) {
      void leaveGroup(consumer).catch(() => {})
      throw clientFailure(err, { brokers: settings.brokers.join(','), topic, message: `consumer group ${this.groupId}`, size: 0 })
    }
    this.#consumer = consumer
    this.#stream = stream
    stream.on('data', (message: Message<string, Buffer, string, string>) => { this.#receive(message) })
    stream.on('error', (err: Error) => { if (this.#stream === stream) this.#lost(err) })
  }

  async #disconnect (): Promise<void> {
    const consumer = this.#consumer
    this.#consumer = null
    this.#stream = null
    if (consumer === null) return
    await withTimeout(leaveGroup(consumer), this.#options.settings.connectTimeoutMs, () => new Error('no answer leaving the group')).catch((err: unknown) => {
      this.#options.logger.warn({ groupId: this.groupId, err: describeClientError(err) }, 'Could not leave the consumer group cleanly; the brokers will notice after the session timeout')
    })
  }

  #newGeneration (): void {
    this.#generation++
    this.#tracker = new OffsetTracker()
  }

  #receive (message: Message<string, Buffer, string, string>): void {
    if (this.#closed) return
    const record: ReceivedRecord = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key === '' ? null : message.key,
      value: message.value,
      headers: Object.fromEntries(message.headers),
      generation: this.#generation,
      redeliveryCount: 0
    }
    this.#tracker.received(record.partition, record.offset)
    this.#queue.push(this.group.ordered ? record.key : null, record)
    if (this.#queue.size + this.#retryTimers.size >= this.#options.settings.maxUnsettled) this.#stream?.pause()
  }

  /** The brokers went away (the stream gave up): drop this consumer, join again with a new one after a backoff. */
  #lost (err: Error): void {
    if (this.#closed || this.#reconnecting) return
    this.#reconnecting = true
    this.#options.logger.warn({ topic: this.#options.topic, groupId: this.groupId, err: describeClientError(err) }, 'Kafka consumer lost its brokers; it will rejoin the group')
    this.#newGeneration()
    void this.#disconnect()
    this.#rejoinLater()
  }

  #rejoinLater (): void {
    const delay = backoffDelay(this.#reconnectAttempt++, this.#options.settings.reconnectBackoff)
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null
      if (this.#closed) return
      this.#connect().then(async () => {
        this.#reconnecting = false
        this.#reconnectAttempt = 0
        if (this.#closed) return await this.#disconnect()
        this.#options.logger.info({ topic: this.#options.topic, groupId: this.groupId }, 'Kafka consumer rejoined its group')
      }, (failure: unknown) => {
        this.#options.logger.debug({ groupId: this.groupId, err: describeClientError(failure), attempt: this.#reconnectAttempt }, 'Rejoining failed; trying again')
        this.#rejoinLater()
      })
    }, delay)
  }

  async #consume (record: ReceivedRecord): Promise<void> {
    // A record fetched before a rebalance or a reconnect: the group delivers it again.
    if (this.#closed || record.generation !== this.#generation) return
    const { dispatcher, logger, deadLetter, consume } = this.#options
    const settle = (): void => {
      if (record.generation === this.#generation) this.#tracker.settled(record.partition, record.offset)
      if (this.#queue.size + this.#retryTimers.size < this.#options.settings.maxUnsettled / 2) this.#stream?.resume()
    }
    try {
      await consumeMessage(dispatcher, this.group, {
        bytes: record.value,
        messageId: recordId(record),
        redeliveryCount: record.redeliveryCount,
        key: record.key,
        contentType: record.headers[PROPERTY.contentType] ?? null,
        properties: record.headers
      }, {
        ack: settle,
        nack: () => { this.#retryLater(record) },
        deadLetter: async (reason, envelope) => {
          try {
            await deadLetter(record, reason, envelope)
          } catch (err) {
            // Never settle what is not parked: it fails again and is parked next time.
            logger.error({ topic: record.topic, groupId: this.groupId, messageId: recordId(record), ...eventLogFields(envelope), reason, err }, 'Could not publish to the dead-letter topic; the record will be tried again')
            this.#retryLater(record)
            return
          }
          logger.error({ topic: record.topic, groupId: this.groupId, messageId: recordId(record), ...eventLogFields(envelope), reason }, 'Message dead-lettered')
          settle()
        }
      }, consume)
    } catch (err) {
      logger.error({ topic: record.topic, groupId: this.groupId, messageId: recordId(record), err }, 'Settling a record failed')
    }
  }

  /** Kafka cannot give one record back: it stays unsettled and runs again here after the retry delay. */
  #retryLater (record: ReceivedRecord): void {
    if (this.#closed) return
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer)
      this.#queue.push(this.group.ordered ? record.key : null, { ...record, redeliveryCount: record.redeliveryCount + 1 })
    }, this.#options.consume.retryDelayMs)
    this.#retryTimers.add(timer)
  }

  async #commit (): Promise<void> {
    const consumer = this.#consumer
    const tracker = this.#tracker
    const moved = tracker.takeCommittable()
    if (consumer === null || moved.length === 0) return
    try {
      await consumer.commit({ offsets: moved.map(({ partition, offset }) => ({ topic: this.#options.topic, partition, offset, leaderEpoch: -1 })) })
    } catch (err) {
      tracker.notCommitted(moved)
      this.#options.logger.debug({ groupId: this.groupId, err: describeClientError(err) }, 'Committing offsets failed; they are committed with the next ones')
    }
  }
}

/** Closes a consumer at once (force: in-flight fetches are not awaited), leaving its group. */
async function leaveGroup (consumer: RecordConsumer): Promise<void> {
  // The promise form of close() is typed for close() and close(false) only.
  await (consumer.close as (force?: boolean) => Promise<void>).call(consumer, true)
}
