/**
 * What the Pulsar bus needs from a client library, and nothing more: the bus is written against
 * this interface, and each driver (the official native client, our WebSocket client) adapts one
 * library to it. Topics here are fully qualified (`persistent://tenant/ns/name`).
 *
 * Errors drivers throw are the typed errors of ../errors.ts: PulsarConnectError, PulsarAuthError
 * and PulsarTopicError mean an outage (the outbox keeps its rows pending), PulsarMessageTooLargeError
 * and the rest mean this message or this configuration is wrong.
 */

export type DriverName = 'native' | 'websocket'

/** What a bus may be told to use: a driver by name, or `auto` (native when its addon loads). */
export type DriverChoice = 'auto' | DriverName

export const DRIVER_CHOICES: readonly DriverChoice[] = ['auto', 'native', 'websocket']

/** Pulsar's subscription types, spelled as the broker spells them. */
export type SubscriptionType = 'Shared' | 'Key_Shared' | 'Failover' | 'Exclusive'

export type InitialPosition = 'Earliest' | 'Latest'

export interface OutgoingMessage {
  readonly bytes: Uint8Array
  readonly properties: Readonly<Record<string, string>>
  /** The message key: routes Key_Shared delivery and compaction. */
  readonly key: string | null
}

export interface ProducerOptions {
  /** Fully qualified topic. */
  readonly topic: string
  /** A stable producer name. Default: a unique name the broker generates. */
  readonly producerName?: string
}

export interface PulsarProducer {
  readonly topic: string
  /** Resolves with the message id once the broker has the message persisted. */
  send (message: OutgoingMessage): Promise<string>
  /** Waits for sends in flight, then closes. Idempotent. */
  close (): Promise<void>
}

export interface ReceivedMessage {
  /** The driver's own id of this delivery; give it back to ack() or nack(). */
  readonly id: string
  readonly bytes: Buffer
  readonly properties: Readonly<Record<string, string>>
  readonly key: string | null
  /** Deliveries before this one, as the broker counts them (negative acks and consumer losses). */
  readonly redeliveryCount: number
  /** ISO 8601 instant the broker stored the message. */
  readonly publishTime: string
}

export interface ConsumerOptions {
  readonly topic: string
  readonly subscription: string
  readonly type: SubscriptionType
  /** Where a new subscription starts; an existing one keeps its position. */
  readonly initialPosition: InitialPosition
  /** Messages the broker may push before we settle any: the consumer's flow-control window. */
  readonly receiverQueueSize: number
  /** How long the broker waits before redelivering a negatively acknowledged message. */
  readonly nackRedeliveryDelayMs: number
  /** Called for every message, in arrival order. Must not throw. */
  readonly onMessage: (message: ReceivedMessage) => void
}

export interface PulsarConsumer {
  /** Marks the message consumed. */
  ack (message: ReceivedMessage): Promise<void>
  /** Gives the message back: redelivered after nackRedeliveryDelayMs with redeliveryCount + 1. */
  nack (message: ReceivedMessage): Promise<void>
  /** Stops delivery and detaches; the durable subscription and its unacked messages stay. Idempotent. */
  close (): Promise<void>
}

export interface PulsarDriver {
  readonly name: DriverName
  /**
   * Proves the broker answers and accepts our credentials, within the connect timeout:
   * PulsarConnectError or PulsarAuthError otherwise.
   */
  connect (): Promise<void>
  createProducer (options: ProducerOptions): Promise<PulsarProducer>
  subscribe (options: ConsumerOptions): Promise<PulsarConsumer>
  /** Closes every producer and consumer it made, then its connections. Idempotent. */
  close (): Promise<void>
}

/** Tuning shared by the drivers; the bus fills it from its options. */
export interface DriverOptions {
  /** Bound on connecting (and on start's broker check), in ms. */
  readonly connectTimeoutMs: number
  /** Bound on one send, from the call to the broker's receipt, in ms. */
  readonly sendTimeoutMs: number
  /** Sends in flight per producer; further sends wait for a slot. */
  readonly maxPendingMessages: number
  /** Largest payload accepted before sending (the broker's maxMessageSize, 5 MiB by default). */
  readonly maxMessageSize: number
}
