import { consumeMessage, type GroupConsumerSettings } from '../bus/consume-message.js'
import { KeyedWorkQueue } from '../bus/keyed-work-queue.js'
import type { SubscriptionGroup } from '../bus/subscription-registry.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { eventLogFields } from '../logger.js'
import type { PulsarConsumer, PulsarDriver, ReceivedMessage, ConsumerOptions } from './driver.js'
import { PROPERTY } from '../bus/message-properties.js'
import { settlesWithin } from '../time/time-limits.js'

export interface GroupConsumerOptions extends GroupConsumerSettings {
  /** Parks a message on the dead-letter topic; resolves once the broker has it. */
  readonly deadLetter: (message: ReceivedMessage, reason: string, envelope: MessageEnvelope | null) => Promise<void>
}

/**
 * The consumer of one subscription group (topic + subscription name): Pulsar messages go through
 * a KeyedWorkQueue to consumeMessage(), exactly as in the in-memory bus (key = the message key on
 * ordered subscriptions, so one key runs one message at a time), and each delivery is settled:
 * ack, negative ack (the broker redelivers after the retry delay with redeliveryCount + 1), or
 * dead-letter then ack.
 */
export class GroupConsumer {
  readonly group: SubscriptionGroup
  readonly #options: GroupConsumerOptions
  readonly #queue: KeyedWorkQueue<ReceivedMessage>
  #consumer: PulsarConsumer | null = null
  /** Settles once subscribed: the first messages may arrive before driver.subscribe() resolves. */
  readonly #subscribed: Promise<PulsarConsumer | null>
  #onSubscribed: (consumer: PulsarConsumer | null) => void = () => {}
  #closed = false

  constructor (group: SubscriptionGroup, options: GroupConsumerOptions) {
    this.group = group
    this.#options = options
    this.#queue = new KeyedWorkQueue(options.concurrency, async (message) => await this.#consume(message))
    this.#subscribed = new Promise((resolve) => { this.#onSubscribed = resolve })
  }

  async open (driver: PulsarDriver, subscribe: Omit<ConsumerOptions, 'onMessage'>): Promise<void> {
    try {
      this.#consumer = await driver.subscribe({
        ...subscribe,
        onMessage: (message) => {
          if (!this.#closed) this.#queue.push(this.group.ordered ? message.key : null, message)
        }
      })
    } finally {
      this.#onSubscribed(this.#consumer)
    }
  }

  /** Stops taking messages, waits up to drainTimeoutMs for running handlers, then detaches. */
  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (!await settlesWithin(this.#queue.idle(), this.#options.drainTimeoutMs)) {
      this.#options.logger.warn({ topic: this.group.topic, subscription: this.group.subscription, running: this.#queue.size },
        'Handlers still running after drainTimeoutMs; closing the consumer: the broker redelivers their messages')
    }
    await this.#consumer?.close()
  }

  async #consume (message: ReceivedMessage): Promise<void> {
    const consumer = await this.#subscribed
    // Queued before close(): left unsettled, the broker gives it to the next consumer.
    if (this.#closed || consumer === null) return
    const { dispatcher, logger, deadLetter, consume } = this.#options
    try {
      await consumeMessage(dispatcher, this.group, {
        bytes: message.bytes,
        messageId: message.id,
        redeliveryCount: message.redeliveryCount,
        key: message.key,
        contentType: message.properties[PROPERTY.contentType] ?? null,
        properties: message.properties
      }, {
        ack: async () => await consumer.ack(message),
        nack: async () => await consumer.nack(message),
        deadLetter: async (reason, envelope) => {
          try {
            await deadLetter(message, reason, envelope)
          } catch (err) {
            // Never ack what is not parked: give it back, it fails again and is parked next time.
            logger.error({ topic: this.group.topic, subscription: this.group.subscription, messageId: message.id, ...eventLogFields(envelope), reason, err },
              'Could not publish to the dead-letter topic; the message will be redelivered')
            await consumer.nack(message)
            return
          }
          logger.error({ topic: this.group.topic, subscription: this.group.subscription, messageId: message.id, ...eventLogFields(envelope), reason },
            'Message dead-lettered')
          await consumer.ack(message)
        }
      }, consume)
    } catch (err) {
      logger.error({ topic: this.group.topic, subscription: this.group.subscription, messageId: message.id, err }, 'Settling a message failed')
    }
  }
}
