import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'
import type { Redis } from 'ioredis'
import { AbstractBus } from '../bus/abstract-bus.js'
import type { SubscriptionGroup } from '../bus/subscription-registry.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { BusNotStartedError } from '../errors.js'
import { clientFailure } from './client-errors.js'
import { closeConnection, openConnection } from './connection.js'
import { RedisGroupConsumer } from './group-consumer.js'
import { KeyStreams } from './key-streams.js'
import { loadRedisClient, type RedisClientModule } from './load-client.js'
import { resolveRedisBusSettings, topicKey, type RedisBusOptions, type RedisBusSettings } from './redis-bus-options.js'
import { envelopeFields } from './stream-entries.js'
import { declareOutageCodes } from '../bus/outage.js'

// The projector leaves rows pending (no attempt counted) while these say the broker is away.
declareOutageCodes(['REDIS_CONNECT_FAILED', 'REDIS_AUTH_FAILED'])

export type { RedisBusOptions, RedisDeadLetterStreamName } from './redis-bus-options.js'

/**
 * The message bus on Redis Streams. A topic is a fixed set of streams `{keyPrefix}{topic}:0…n-1`;
 * an envelope is one entry (XADD) in the stream its partition key hashes to, so one key stays in
 * one stream, in order. Each subscription is a consumer group of that name on each stream: the
 * instances of a service share the entries, each subscription gets every entry, and an entry
 * stays pending until a handler settled it, so nothing is lost while a consumer is away
 * (unlike Pub/Sub, which drops what is published while nobody listens).
 */
export class RedisBus extends AbstractBus {
  readonly kind = 'redis'
  readonly settings: RedisBusSettings
  /** This bus's consumer name in every group: the same across its restarts, so it finds what it held. */
  readonly consumerName: string
  readonly #consumers = new Map<SubscriptionGroup, RedisGroupConsumer>()
  readonly #streams = new Map<string, KeyStreams>()
  #client: RedisClientModule | null = null
  #commands: Redis | null = null

  constructor (options: RedisBusOptions) {
    super(options)
    this.settings = resolveRedisBusSettings(options, this.options.concurrency)
    this.consumerName = `${this.options.source}@${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`
  }

  /** The streams of a topic (short name), in index order. */
  streamsOf (topic: string): string[] {
    return this.#keyStreams(topic).all()
  }

  /** The stream an entry of this partition key goes to. */
  streamFor (topic: string, partitionKey: string): string {
    return this.#keyStreams(topic).forKey(partitionKey)
  }

  /** The dead-letter stream of a subscription on a topic (short name). */
  deadLetterStreamOf (topic: string, subscription: string): string {
    return this.settings.deadLetterStream(topicKey(this.settings, topic), subscription)
  }

  protected async connect (): Promise<void> {
    const client = await loadRedisClient()
    this.#commands = await openConnection(client, this.settings, this.options.logger, this.consumerName, false)
    this.#client = client
    this.options.logger.info({ url: this.settings.safeUrl, consumer: this.consumerName }, 'Redis bus connected')
  }

  protected async disconnect (): Promise<void> {
    const commands = this.#commands
    this.#commands = null
    this.#client = null
    await closeConnection(commands)
  }

  protected async send (topic: string, bytes: Buffer, envelope: MessageEnvelope, contentType: string, properties: Readonly<Record<string, string>>): Promise<void> {
    const commands = this.#commands
    if (commands === null) throw new BusNotStartedError(this.kind)
    const stream = this.#keyStreams(topic).forKey(envelope.partitionKey)
    const { retentionMs } = this.settings
    // Entry ids are times in ms: MINID trims what is older than the retention (`~`: whole nodes, cheaply).
    const trim = retentionMs > 0 ? ['MINID', '~', String(Date.now() - retentionMs)] : []
    try {
      await commands.call('XADD', stream, ...trim, '*', ...envelopeFields(bytes, envelope, contentType, properties))
    } catch (err) {
      throw clientFailure(err, this.settings.safeUrl, stream)
    }
  }

  protected async openConsumer (group: SubscriptionGroup): Promise<void> {
    const client = this.#client
    const commands = this.#commands
    if (client === null || commands === null) throw new BusNotStartedError(this.kind)
    const consumer = new RedisGroupConsumer(group, {
      ...this.groupConsumerSettings,
      client,
      commands,
      settings: this.settings,
      topicKey: topicKey(this.settings, group.topic),
      streams: this.streamsOf(group.topic),
      consumerName: this.consumerName,
      deadLetterStream: this.deadLetterStreamOf(group.topic, group.subscription)
    })
    this.#consumers.set(group, consumer)
    try {
      await consumer.open()
    } catch (err) {
      this.#consumers.delete(group)
      throw clientFailure(err, this.settings.safeUrl, `consumer group ${group.subscription} on ${group.topic}`)
    }
  }

  protected async closeConsumer (group: SubscriptionGroup): Promise<void> {
    const consumer = this.#consumers.get(group)
    if (consumer === undefined) return
    this.#consumers.delete(group)
    await consumer.close()
  }

  #keyStreams (topic: string): KeyStreams {
    let streams = this.#streams.get(topic)
    if (streams === undefined) {
      streams = new KeyStreams(topicKey(this.settings, topic), this.settings.streamsPerTopic)
      this.#streams.set(topic, streams)
    }
    return streams
  }
}
