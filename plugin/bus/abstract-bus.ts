import type { TSchema } from '@sinclair/typebox'
import type { EventSelector, MessageBus, MessageHandler, PublishOptions, SubscribeOptions } from './bus.js'
import type { GroupConsumerSettings } from './consume-message.js'
import { Dispatcher } from './dispatcher.js'
import { SubscriptionRegistry, type SubscriptionGroup } from './subscription-registry.js'
import type { MessageCodec } from '../codec/codec.js'
import { Codecs } from '../codec/codecs.js'
import { JsonCodec } from '../codec/json-codec.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { isEventName } from '../envelope/event-name.js'
import type { DomainEvent, EventDefinition } from '../events/define-event.js'
import { EventCatalog } from '../events/event-catalog.js'
import { toEnvelope } from '../events/to-envelope.js'
import { BusNotStartedError, BusStoppedError, InvalidEventNameError, InvalidOptionsError } from '../errors.js'
import { silentLogger, type OutboxLogger } from '../logger.js'
import { nonNegativeInteger, positiveInteger } from '../option-checks.js'
import { Telemetry } from '../telemetry/telemetry.js'

export interface BusOptions {
  /** This service's name: stamped on envelopes and the default subscription name. */
  source: string
  /** The codec this bus writes with; default JsonCodec. */
  codec?: MessageCodec
  /**
   * Codecs this bus also reads, besides its own: each message is decoded by the codec its content
   * type names (JSON is always read). List the old codec here while a topic's producers move to a new one.
   */
  codecs?: MessageCodec[]
  /**
   * Event definitions this bus publishes: their `topic` routes publishes, and the codec can
   * register their schemas. subscribe() adds the ones it is given.
   */
  events?: ReadonlyArray<EventDefinition<string, TSchema>>
  /** Internal: the plugin shares one catalog between the bus, the outbox and the projector. */
  catalog?: EventCatalog
  logger?: OutboxLogger
  /** Redeliveries of a failing message before it is dead-lettered; default 5. */
  maxRedeliveries?: number
  /** Messages handled at once per subscription; default 32. */
  concurrency?: number
  /** First delay before a failed message is tried again, in ms; default 1000. */
  retryDelayMs?: number
  /** How long stop() waits for running handlers, in ms; default 10000. */
  drainTimeoutMs?: number
}

export type ResolvedBusOptions = Required<BusOptions>

type BusState = 'stopped' | 'starting' | 'started' | 'stopping'

/**
 * What every transport shares: option checks, the subscription registry, the dispatcher and
 * the start/stop state machine. A transport supplies how to connect, send, and open or close
 * one consumer per subscription group.
 */
export abstract class AbstractBus implements MessageBus {
  abstract readonly kind: string
  protected readonly options: ResolvedBusOptions
  protected readonly registry = new SubscriptionRegistry()
  protected readonly dispatcher: Dispatcher
  /** What this bus's deliveries report (handler runs, dead letters): add observers for metrics. */
  readonly telemetry = new Telemetry()
  /** The codec this bus writes with and the ones it reads, by content type. */
  protected readonly codecs: Codecs
  #state: BusState = 'stopped'
  #stopping: AbortController = new AbortController()

  constructor (options: BusOptions) {
    this.options = resolveBusOptions(options)
    this.codecs = new Codecs(this.options.codec, this.options.codecs)
    // kind is a subclass field, set only after this constructor: read it when a message comes.
    this.dispatcher = new Dispatcher({ ...this.options, codecs: this.codecs, telemetry: this.telemetry, system: () => this.kind })
  }

  get started (): boolean {
    return this.#state === 'started'
  }

  get catalog (): EventCatalog {
    return this.options.catalog
  }

  /** Aborted when stop() begins: long waits (in-place retries, reconnects) give up on it. */
  protected get stopSignal (): AbortSignal {
    return this.#stopping.signal
  }

  /** What every consumer of this bus's subscription groups is given. */
  protected get groupConsumerSettings (): GroupConsumerSettings {
    const { logger, concurrency, drainTimeoutMs, retryDelayMs } = this.options
    return { dispatcher: this.dispatcher, logger, concurrency, drainTimeoutMs, consume: { retryDelayMs, signal: this.stopSignal } }
  }

  async start (): Promise<void> {
    if (this.#state === 'started' || this.#state === 'starting') return
    if (this.#state === 'stopping') throw new BusStoppedError(this.kind, 'start while it is stopping')
    this.#state = 'starting'
    this.#stopping = new AbortController()
    try {
      await this.connect()
      for (const group of this.registry.groups()) await this.openConsumer(group)
      this.#state = 'started'
    } catch (err) {
      this.#state = 'stopping'
      await this.disconnect().catch(() => {})
      this.#state = 'stopped'
      throw err
    }
  }

  async stop (): Promise<void> {
    if (this.#state === 'stopped' || this.#state === 'stopping') return
    this.#state = 'stopping'
    this.#stopping.abort()
    try {
      const closing = [...this.registry.groups()].map((group) => this.closeConsumer(group))
      await Promise.allSettled(closing)
    } finally {
      await this.disconnect()
      this.#state = 'stopped'
    }
  }

  async publish (event: MessageEnvelope | DomainEvent, options: PublishOptions = {}): Promise<void> {
    if (this.#state !== 'started') throw new BusNotStartedError(this.kind)
    const envelope = isDomainEvent(event) ? toEnvelope(event, { source: this.options.source }) : event
    const topic = options.topic ?? (isDomainEvent(event) ? event.definition.topic : this.options.catalog.topicOf(envelope.eventType))
    const { bytes, contentType, properties } = this.codecs.encode(envelope)
    await this.send(topic, bytes, envelope, contentType, properties)
  }

  subscribe<D extends EventDefinition<string, TSchema>> (event: D, handler: MessageHandler<any>, options?: SubscribeOptions): Promise<void>
  subscribe (eventType: string, handler: MessageHandler, options?: SubscribeOptions): Promise<void>
  async subscribe (event: EventSelector, handler: MessageHandler<any>, options: SubscribeOptions = {}): Promise<void> {
    if (typeof handler !== 'function') throw new InvalidOptionsError('subscribe() needs a handler function')
    const eventType = this.#register(event)
    const subscription = options.subscription ?? this.options.source
    const topic = this.options.catalog.topicOf(eventType)
    const { group, created } = this.registry.add(topic, subscription, eventType, handler, options.ordered === true)
    if (created && this.#state === 'started') await this.openConsumer(group)
  }

  async unsubscribe (event: EventSelector, handler: MessageHandler<any>): Promise<void> {
    const eventType = typeof event === 'string' ? event : event.type
    const emptied = this.registry.remove(eventType, handler)
    if (this.#state !== 'started') return
    for (const group of emptied) await this.closeConsumer(group)
  }

  #register (event: EventSelector): string {
    if (typeof event === 'string') {
      if (!isEventName(event)) throw new InvalidEventNameError(JSON.stringify(event))
      return event
    }
    this.options.catalog.register(event)
    return event.type
  }

  protected abstract connect (): Promise<void>
  protected abstract disconnect (): Promise<void>
  /** Starts delivering the group's messages. */
  protected abstract openConsumer (group: SubscriptionGroup): Promise<void>
  /** Stops delivering, waits (up to drainTimeoutMs) for running handlers; unsettled messages stay with the transport. */
  protected abstract closeConsumer (group: SubscriptionGroup): Promise<void>
  /**
   * Sends encoded bytes to a topic, with the content type that says how to decode them and the
   * codec's own properties; resolves when the transport has them durably.
   */
  protected abstract send (topic: string, bytes: Buffer, envelope: MessageEnvelope, contentType: string, properties: Readonly<Record<string, string>>): Promise<void>
}

export function resolveBusOptions (options: BusOptions): ResolvedBusOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError('bus options must be an object')
  if (typeof options.source !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(options.source)) {
    throw new InvalidOptionsError(`source must name this service (letters, digits, ".", "_", "-"; at most 100), got ${JSON.stringify(options.source)}`)
  }
  return {
    source: options.source,
    codec: options.codec ?? new JsonCodec(),
    codecs: options.codecs ?? [],
    events: options.events ?? [],
    catalog: options.catalog ?? new EventCatalog(options.events),
    logger: options.logger ?? silentLogger,
    maxRedeliveries: nonNegativeInteger('maxRedeliveries', options.maxRedeliveries, 5),
    concurrency: positiveInteger('concurrency', options.concurrency, 32),
    retryDelayMs: nonNegativeInteger('retryDelayMs', options.retryDelayMs, 1000),
    drainTimeoutMs: nonNegativeInteger('drainTimeoutMs', options.drainTimeoutMs, 10_000)
  }
}

/** An event made by `definition.create(...)`, as opposed to an envelope: it carries its definition. */
function isDomainEvent (event: MessageEnvelope | DomainEvent): event is DomainEvent {
  return (event as DomainEvent).definition !== undefined && typeof (event as DomainEvent).definition.assertValid === 'function'
}
