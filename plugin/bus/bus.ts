import type { TSchema } from '@sinclair/typebox'
import type { MessageEnvelope } from '../envelope/envelope.js'
import type { DomainEvent, EventDefinition, PayloadOf } from '../events/define-event.js'

/** Facts about one delivery of a message to a handler. */
export interface Delivery {
  /** The subscription the message arrived on. */
  readonly subscription: string
  /** How many times the message was delivered before this one (0 on the first delivery). */
  readonly redeliveryCount: number
  /** Transport-specific id of the message, for logs. */
  readonly messageId: string
}

/**
 * Handles one event. Resolving acknowledges it; throwing makes the bus redeliver it, up to the
 * subscription's limit, then dead-letter it. Delivery is at least once: make handlers idempotent
 * (the inbox does that for database effects).
 */
export type MessageHandler<P = unknown> = (envelope: MessageEnvelope<P>, delivery: Delivery) => Promise<void> | void

export interface SubscribeOptions {
  /** Subscription name; default the bus's `source`, so the instances of one service share the work. */
  subscription?: string
  /**
   * Deliver events with the same partition key one at a time, in order (Key_Shared on Pulsar).
   * A failing event is retried in place, holding back only its own key.
   */
  ordered?: boolean
}

export interface PublishOptions {
  /** Topic short name; default the topic of the event's definition, else its event type. */
  topic?: string
}

/** An event type given by its definition (payload validated and typed) or by name. */
export type EventSelector = EventDefinition<string, TSchema> | string

/** The message bus port: transports (in-memory, Pulsar) implement it. */
export interface MessageBus {
  /** "memory", "pulsar", ...: for logs and health. */
  readonly kind: string
  readonly started: boolean
  start (): Promise<void>
  /** Stops consuming, lets in-flight handlers finish, closes connections. Idempotent. */
  stop (): Promise<void>
  /**
   * Resolves once the transport has accepted the message durably. Takes an envelope as it is, or
   * an event made by `definition.create(payload)`: its payload is checked against the schema and
   * it is wrapped in an envelope stamped with this bus's `source`, on its definition's topic.
   */
  publish (event: MessageEnvelope | DomainEvent, options?: PublishOptions): Promise<void>
  subscribe<D extends EventDefinition<string, TSchema>> (event: D, handler: MessageHandler<PayloadOf<D>>, options?: SubscribeOptions): Promise<void>
  subscribe (eventType: string, handler: MessageHandler, options?: SubscribeOptions): Promise<void>
  unsubscribe (event: EventSelector, handler: MessageHandler<any>): Promise<void>
}
