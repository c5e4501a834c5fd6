import { AbstractBus, type BusOptions } from './abstract-bus.js'
import { consumeMessage, type TransportMessage } from './consume-message.js'
import { KeyedWorkQueue } from './keyed-work-queue.js'
import { checkReplayOptions, type ReplayDeadLettersOptions } from './replay-options.js'
import type { SubscriptionGroup } from './subscription-registry.js'
import { settlesWithin } from '../time/time-limits.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { BusNotStartedError } from '../errors.js'
import { eventLogFields } from '../logger.js'

/** A message the bus gave up on, with why. */
export interface DeadLetter {
  readonly topic: string
  readonly subscription: string
  readonly messageId: string
  readonly reason: string
  /** The original bytes, untouched. */
  readonly bytes: Uint8Array
  /** The message key (the envelope's partition key). */
  readonly key: string | null
  /** The decoded envelope, when the bytes decoded. */
  readonly envelope: MessageEnvelope | null
  /** The content type the bytes were sent with. */
  readonly contentType: string | null
  /** The codec's properties the bytes were sent with. */
  readonly properties: Readonly<Record<string, string>>
}

/** The in-memory bus takes the options every bus takes. */
export type MemoryBusOptions = BusOptions

interface MemorySubscription {
  /** Messages waiting for a consumer (none attached, or the bus is stopped). */
  readonly backlog: TransportMessage[]
  /** Messages published and not yet handed to the consumer's queue (the simulated network hop). */
  inTransit: number
  consumer: MemoryConsumer | null
}

interface MemoryConsumer {
  readonly group: SubscriptionGroup
  readonly queue: KeyedWorkQueue<TransportMessage>
  readonly retryTimers: Set<NodeJS.Timeout>
  /** Messages whose handlers run now: unsettled, so a broker would give them to the next consumer. */
  readonly running: Set<TransportMessage>
}

/**
 * An in-process bus with a broker's delivery rules, for tests and the embedded default:
 * messages are encoded and decoded with the codec, delivered asynchronously, at least once,
 * to every subscription of their topic; a handler that throws gets the message again after
 * `retryDelayMs`, up to `maxRedeliveries`, then it is dead-lettered. Subscriptions are durable
 * within the process: a subscription without a consumer keeps its backlog.
 */
export class MemoryBus extends AbstractBus {
  readonly kind = 'memory'
  readonly #topics = new Map<string, Map<string, MemorySubscription>>()
  readonly #deadLetters: DeadLetter[] = []
  #nextMessageId = 0

  constructor (options: MemoryBusOptions) {
    super(options)
  }

  /** Messages dead-lettered so far, oldest first. */
  get deadLetters (): readonly DeadLetter[] {
    return this.#deadLetters
  }

  /** Messages published and not yet acknowledged on a subscription (waiting, running or due for retry). */
  backlog (topic: string, subscription: string): number {
    const sub = this.#topics.get(topic)?.get(subscription)
    if (sub === undefined) return 0
    return sub.backlog.length + sub.inTransit + (sub.consumer === null ? 0 : sub.consumer.queue.size + sub.consumer.retryTimers.size)
  }

  /**
   * Sends a subscription's dead-lettered messages back to their topic for another try (original
   * bytes and key, oldest first) and forgets them; returns how many. As on Pulsar, every
   * subscription of the topic gets them again.
   */
  async replayDeadLetters (options: ReplayDeadLettersOptions): Promise<number> {
    if (!this.started) throw new BusNotStartedError(this.kind)
    const { subscription, limit, ...given } = checkReplayOptions(options)
    const topic = this.options.catalog.topicOf(given.topic)
    let moved = 0
    for (let i = 0; i < this.#deadLetters.length && moved < limit;) {
      const letter = this.#deadLetters[i]!
      if (letter.topic !== topic || letter.subscription !== subscription) {
        i++
        continue
      }
      this.#enqueue(letter.topic, letter.bytes, letter.key, letter.contentType, letter.properties)
      this.#deadLetters.splice(i, 1)
      moved++
    }
    return moved
  }

  /** Puts raw bytes on a topic as a foreign producer would (for tests of malformed input). */
  publishRaw (topic: string, bytes: Uint8Array, key: string | null = null, contentType: string | null = null, properties: Record<string, string> = {}): void {
    if (!this.started) throw new BusNotStartedError(this.kind)
    this.#enqueue(topic, bytes, key, contentType, properties)
  }

  protected async connect (): Promise<void> {}

  protected async disconnect (): Promise<void> {}

  protected async send (topic: string, bytes: Buffer, envelope: MessageEnvelope, contentType: string, properties: Readonly<Record<string, string>>): Promise<void> {
    this.#enqueue(topic, bytes, envelope.partitionKey, contentType, properties)
  }

  protected async openConsumer (group: SubscriptionGroup): Promise<void> {
    const subscription = this.#subscription(group.topic, group.subscription)
    const consumer: MemoryConsumer = {
      group,
      retryTimers: new Set(),
      running: new Set(),
      queue: new KeyedWorkQueue<TransportMessage>(this.options.concurrency, (message) => this.#consume(subscription, consumer, message))
    }
    subscription.consumer = consumer
    const waiting = subscription.backlog.splice(0)
    // Deliver asynchronously, as a network would: never inside the caller's stack.
    subscription.inTransit += waiting.length
    setImmediate(() => {
      subscription.inTransit -= waiting.length
      for (const message of waiting) this.#deliver(subscription, message)
    })
  }

  protected async closeConsumer (group: SubscriptionGroup): Promise<void> {
    const subscription = this.#topics.get(group.topic)?.get(group.subscription)
    const consumer = subscription?.consumer
    if (subscription === undefined || consumer === undefined || consumer === null || consumer.group !== group) return
    subscription.consumer = null
    for (const timer of consumer.retryTimers) clearTimeout(timer)
    consumer.retryTimers.clear()
    await settlesWithin(consumer.queue.idle(), this.options.drainTimeoutMs)
    // As a broker does with a closed consumer's unacknowledged messages: handlers still running
    // after drainTimeoutMs are abandoned (their late settling is ignored) and their messages,
    // then the ones waiting behind them, go back to the subscription for the next consumer.
    for (const message of consumer.running) subscription.backlog.push({ ...message, redeliveryCount: message.redeliveryCount + 1 })
    consumer.running.clear()
    subscription.backlog.push(...consumer.queue.takeWaiting())
  }

  #enqueue (topic: string, bytes: Uint8Array, key: string | null, contentType: string | null, properties: Readonly<Record<string, string>>): void {
    const subscriptions = this.#topics.get(topic)
    // Like a broker without retention: a topic nobody subscribed to keeps nothing.
    if (subscriptions === undefined) return
    const messageId = `memory:${++this.#nextMessageId}`
    for (const subscription of subscriptions.values()) {
      const message: TransportMessage = { bytes, messageId, redeliveryCount: 0, key, contentType, properties }
      subscription.inTransit++
      setImmediate(() => {
        subscription.inTransit--
        this.#deliver(subscription, message)
      })
    }
  }

  #deliver (subscription: MemorySubscription, message: TransportMessage): void {
    const consumer = subscription.consumer
    if (consumer === null || !this.started) {
      subscription.backlog.push(message)
      return
    }
    consumer.queue.push(consumer.group.ordered ? message.key : null, message)
  }

  async #consume (subscription: MemorySubscription, consumer: MemoryConsumer, message: TransportMessage): Promise<void> {
    if (subscription.consumer !== consumer) {
      // Queued before the consumer closed: keep it for the next consumer instead of running it now.
      subscription.backlog.push(message)
      return
    }
    const { group } = consumer
    consumer.running.add(message)
    // False once settled, or once closeConsumer gave the message back: settle at most once.
    const settle = (): boolean => consumer.running.delete(message)
    await consumeMessage(this.dispatcher, group, message, {
      ack: () => { settle() },
      nack: () => {
        if (!settle()) return
        const redelivery = { ...message, redeliveryCount: message.redeliveryCount + 1 }
        if (subscription.consumer !== consumer) {
          subscription.backlog.push(redelivery)
          return
        }
        const timer = setTimeout(() => {
          consumer.retryTimers.delete(timer)
          this.#deliver(subscription, redelivery)
        }, this.options.retryDelayMs)
        consumer.retryTimers.add(timer)
      },
      deadLetter: async (reason, envelope) => {
        if (!settle()) return
        this.#deadLetters.push({ topic: group.topic, subscription: group.subscription, messageId: message.messageId, reason, bytes: message.bytes, key: message.key, envelope, contentType: message.contentType ?? null, properties: message.properties ?? {} })
        this.options.logger.error({ topic: group.topic, subscription: group.subscription, messageId: message.messageId, ...eventLogFields(envelope), reason }, 'Message dead-lettered')
      }
    }, { retryDelayMs: this.options.retryDelayMs, signal: this.stopSignal })
  }

  #subscription (topic: string, name: string): MemorySubscription {
    let subscriptions = this.#topics.get(topic)
    if (subscriptions === undefined) {
      subscriptions = new Map()
      this.#topics.set(topic, subscriptions)
    }
    let subscription = subscriptions.get(name)
    if (subscription === undefined) {
      subscription = { backlog: [], inTransit: 0, consumer: null }
      subscriptions.set(name, subscription)
    }
    return subscription
  }
}
