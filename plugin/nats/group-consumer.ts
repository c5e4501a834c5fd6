import type { ConsumerMessages, JetStreamClient, JetStreamManager, JsMsg } from '@nats-io/jetstream'
import { abortableDelay } from '../time/abortable-delay.js'
import { backoffDelay } from '../time/backoff.js'
import { consumeMessage, type GroupConsumerSettings } from '../bus/consume-message.js'
import { KeyedWorkQueue } from '../bus/keyed-work-queue.js'
import type { SubscriptionGroup } from '../bus/subscription-registry.js'
import { settlesWithin } from '../time/time-limits.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { eventLogFields } from '../logger.js'
import { PROPERTY } from '../bus/message-properties.js'
import { describe } from './client-errors.js'
import type { NatsClientModules } from './load-client.js'
import { PARTITION_KEY_HEADER } from './message-headers.js'
import type { NatsBusSettings } from './nats-bus-options.js'
import { nanos } from './streams.js'
import type { TopicLayout } from './topic-layout.js'

export interface NatsGroupConsumerOptions extends GroupConsumerSettings {
  readonly client: NatsClientModules
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  readonly settings: NatsBusSettings
  readonly layout: TopicLayout
  /** Parks a message in the dead-letter stream; resolves once the stream has it. */
  readonly deadLetter: (message: ReceivedMessage, reason: string, envelope: MessageEnvelope | null) => Promise<void>
}

/** A message as a consumer of ours received it. */
export interface ReceivedMessage {
  readonly msg: JsMsg
  readonly key: string | null
  readonly headers: Readonly<Record<string, string>>
  /** `stream/sequence`. */
  readonly messageId: string
  readonly redeliveryCount: number
}

const PULL_BATCH = 64
/** Cap of the wait before pulling again after the consumer stopped (it starts at reconnectWaitMs and doubles). */
const PULL_AGAIN_MAX_MS = 30_000

/**
 * The consumer of one subscription group: a durable pull consumer per partition subject of the
 * topic (`{subscription}-p{n}`), shared by the instances of the service. Messages go through a
 * KeyedWorkQueue to consumeMessage(), as in the other buses; a handled message is acknowledged, a
 * failed one given back with a delay (nak), which the server counts as a redelivery. On ordered
 * subscriptions each partition's consumer lets one message out at a time across all instances
 * (max_ack_pending 1), so a key's events are handled one after another, in order, wherever they
 * run. Running handlers keep their messages (working()), and a consumer that stops gives back
 * what it still holds at once.
 */
export class NatsGroupConsumer {
  readonly group: SubscriptionGroup
  readonly #options: NatsGroupConsumerOptions
  readonly #queue: KeyedWorkQueue<ReceivedMessage>
  readonly #unsettled = new Set<ReceivedMessage>()
  readonly #streams: ConsumerMessages[] = []
  readonly #loops: Array<Promise<void>> = []
  readonly #closing = new AbortController()
  #workingTimer: NodeJS.Timeout | null = null
  #wake: (() => void) | null = null

  constructor (group: SubscriptionGroup, options: NatsGroupConsumerOptions) {
    this.group = group
    this.#options = options
    this.#queue = new KeyedWorkQueue(options.concurrency, async (message) => await this.#consume(message))
  }

  async open (): Promise<void> {
    const { layout, settings } = this.#options
    for (let partition = 0; partition < layout.partitions; partition++) await this.#ensureConsumer(partition)
    for (let partition = 0; partition < layout.partitions; partition++) this.#loops.push(this.#pull(partition))
    this.#workingTimer = setInterval(() => {
      for (const message of this.#unsettled) message.msg.working()
    }, Math.max(100, Math.floor(settings.ackWaitMs / 3)))
  }

  /** Stops pulling, lets running handlers finish (up to drainTimeoutMs), gives back what it still holds. */
  async close (): Promise<void> {
    this.#closing.abort()
    this.#wake?.()
    for (const messages of this.#streams) await messages.close().catch(() => {})
    for (const waiting of this.#queue.takeWaiting()) this.#giveBack(waiting)
    await Promise.allSettled(this.#loops)
    if (!await settlesWithin(this.#queue.idle(), this.#options.drainTimeoutMs)) {
      this.#options.logger.warn({ stream: this.#options.layout.stream, subscription: this.group.subscription, running: this.#queue.size },
        'Handlers still running after drainTimeoutMs; their messages are given back for another delivery')
    }
    for (const message of [...this.#unsettled]) this.#giveBack(message)
    if (this.#workingTimer !== null) clearInterval(this.#workingTimer)
  }

  get #closed (): boolean {
    return this.#closing.signal.aborted
  }

  async #ensureConsumer (partition: number): Promise<void> {
    const { jsm, layout, settings, client } = this.#options
    const name = layout.consumerName(this.group.subscription, partition)
    const maxAckPending = this.group.ordered ? 1 : settings.maxAckPending
    try {
      const info = await jsm.consumers.info(layout.stream, name)
      if (info.config.max_ack_pending !== maxAckPending || info.config.ack_wait !== nanos(settings.ackWaitMs)) {
        await jsm.consumers.update(layout.stream, name, { max_ack_pending: maxAckPending, ack_wait: nanos(settings.ackWaitMs) })
      }
      return
    } catch (err) {
      if ((err as Error).name !== 'ConsumerNotFoundError') throw err
    }
    await jsm.consumers.add(layout.stream, {
      durable_name: name,
      filter_subject: layout.subject(partition),
      ack_policy: client.jetstream.AckPolicy.Explicit,
      deliver_policy: client.jetstream.DeliverPolicy.All,
      ack_wait: nanos(settings.ackWaitMs),
      max_ack_pending: maxAckPending,
      // We count deliveries and dead-letter ourselves.
      max_deliver: -1
    })
  }

  /** One partition's pull loop; it starts again after the client gives up (a long outage). */
  async #pull (partition: number): Promise<void> {
    const { js, layout, logger, settings } = this.#options
    const name = layout.consumerName(this.group.subscription, partition)
    for (let failures = 0; !this.#closed;) {
      try {
        const consumer = await js.consumers.get(layout.stream, name)
        const messages = await consumer.consume({ max_messages: this.group.ordered ? 1 : PULL_BATCH })
        this.#streams.push(messages)
        if (this.#closed) await messages.close()
        failures = 0
        for await (const msg of messages) {
          if (this.#closed) {
            msg.nak()
            continue
          }
          this.#accept(msg)
          while (this.#unsettled.size >= settings.maxUnsettled && !this.#closed) await new Promise<void>((resolve) => { this.#wake = resolve })
        }
      } catch (err) {
        if (this.#closed) return
        if (failures === 0) logger.warn({ consumer: name, stream: layout.stream, err: describe(err) }, 'NATS consumer stopped; pulling again')
      }
      await abortableDelay(backoffDelay(failures++, { initialMs: settings.reconnectWaitMs, maxMs: PULL_AGAIN_MAX_MS }), this.#closing.signal)
    }
  }

  #accept (msg: JsMsg): void {
    const headers: Record<string, string> = {}
    for (const [name, values] of msg.headers ?? []) headers[name] = values[0] ?? ''
    const message: ReceivedMessage = {
      msg,
      key: headers[PARTITION_KEY_HEADER] ?? null,
      headers,
      messageId: `${msg.info.stream}/${msg.seq}`,
      redeliveryCount: Math.max(0, msg.info.deliveryCount - 1)
    }
    this.#unsettled.add(message)
    this.#queue.push(this.group.ordered ? message.key : null, message)
  }

  #settled (message: ReceivedMessage): void {
    this.#unsettled.delete(message)
    const wake = this.#wake
    this.#wake = null
    wake?.()
  }

  /** Back to the server for a delivery now (to any instance). */
  #giveBack (message: ReceivedMessage): void {
    message.msg.nak()
    this.#settled(message)
  }

  async #consume (message: ReceivedMessage): Promise<void> {
    if (this.#closed) return
    const { dispatcher, logger, consume, deadLetter } = this.#options
    const { retryDelayMs } = consume
    const { messageId } = message
    try {
      await consumeMessage(dispatcher, this.group, {
        bytes: message.msg.data,
        messageId,
        redeliveryCount: message.redeliveryCount,
        key: message.key,
        contentType: message.headers[PROPERTY.contentType] ?? null,
        properties: message.headers
      }, {
        ack: () => {
          message.msg.ack()
          this.#settled(message)
        },
        nack: () => {
          message.msg.nak(this.#closed ? 0 : retryDelayMs)
          this.#settled(message)
        },
        deadLetter: async (reason, envelope) => {
          try {
            await deadLetter(message, reason, envelope)
          } catch (err) {
            // Never acknowledge what is not parked: it comes back and is parked next time.
            logger.error({ messageId, subscription: this.group.subscription, ...eventLogFields(envelope), reason, err: describe(err) }, 'Could not write to the dead-letter stream; the message will be tried again')
            message.msg.nak(retryDelayMs)
            this.#settled(message)
            return
          }
          logger.error({ messageId, subscription: this.group.subscription, ...eventLogFields(envelope), reason }, 'Message dead-lettered')
          message.msg.ack()
          this.#settled(message)
        }
      }, consume)
    } catch (err) {
      logger.error({ messageId, subscription: this.group.subscription, err }, 'Settling a message failed')
    }
  }
}
