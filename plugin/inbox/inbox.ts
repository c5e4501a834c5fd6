import { markProcessed } from './mark-processed.js'
import { purgeInboxMarks } from './purge.js'
import { inbox as defaultInboxTable, type InboxTable } from './tables.js'
import type { TransactionRunner } from './transaction-runner.js'
import type { TSchema } from '@sinclair/typebox'
import type { Delivery, EventSelector, MessageBus, MessageHandler, SubscribeOptions } from '../bus/bus.js'
import type { OutboxTransaction } from '../database/database.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import type { EventDefinition, PayloadOf } from '../events/define-event.js'
import { InvalidOptionsError } from '../errors.js'
import { eventLogFields, silentLogger, type OutboxLogger } from '../logger.js'
import type { TransactionOutbox } from '../outbox/transaction-outbox.js'
import { Telemetry } from '../telemetry/telemetry.js'

/** What an inbox handler gets besides the event. */
export interface InboxContext {
  /** The transaction the handler's changes, the inbox mark and any new events commit in. */
  readonly tx: OutboxTransaction
  /** Adds follow-up events; they carry the handled event's correlation id, and its id as causation. */
  readonly outbox: TransactionOutbox
  readonly delivery: Delivery
}

export type InboxHandler<P = unknown> = (envelope: MessageEnvelope<P>, context: InboxContext) => Promise<void>

export interface InboxSubscribeOptions extends SubscribeOptions {
  /**
   * Names this handler in the inbox; an event is applied once per consumer name. Default
   * `{subscription}/{eventType}`. Give each handler of one event type its own name.
   */
  consumer?: string
}

/** What an inbox has done since it was made; counted after the transaction committed. */
export interface InboxStats {
  /** Deliveries whose handler ran and committed with its mark. */
  applied: number
  /**
   * Deliveries that found their mark already there and were acknowledged without running the
   * handler: redeliveries (after a crash, a reconnect, a re-sent outbox row) absorbed by the inbox.
   */
  duplicates: number
}

export interface InboxOptions {
  /** Runs each handler in a transaction with its mark and the events it adds: the Outbox. */
  transactions: TransactionRunner
  bus: MessageBus
  source: string
  table?: InboxTable
  logger?: OutboxLogger
}

/**
 * Idempotent consumers: runs a handler in a transaction that also records (consumer, event id).
 * A redelivered event finds its mark and is acknowledged without running the handler again, so
 * at-least-once delivery gives exactly-once effects on the database. Decorated as `fastify.inbox`.
 */
export class Inbox {
  readonly #transactions: TransactionRunner
  readonly #bus: MessageBus
  readonly #source: string
  readonly #table: InboxTable
  readonly #logger: OutboxLogger
  readonly #consumers = new Map<string, { handler: InboxHandler<any>, wrapped: MessageHandler<any>, eventType: string }>()
  readonly #stats: InboxStats = { applied: 0, duplicates: 0 }
  /** What this inbox reports (each duplicate absorbed): add observers for metrics. */
  readonly telemetry = new Telemetry()

  constructor (options: InboxOptions) {
    this.#transactions = options.transactions
    this.#bus = options.bus
    this.#source = options.source
    this.#table = options.table ?? defaultInboxTable
    this.#logger = options.logger ?? silentLogger
  }

  subscribe<D extends EventDefinition<string, TSchema>> (event: D, handler: InboxHandler<PayloadOf<D>>, options?: InboxSubscribeOptions): Promise<void>
  subscribe (eventType: string, handler: InboxHandler, options?: InboxSubscribeOptions): Promise<void>
  async subscribe (event: EventSelector, handler: InboxHandler<any>, options: InboxSubscribeOptions = {}): Promise<void> {
    const eventType = typeof event === 'string' ? event : event.type
    const subscription = options.subscription ?? this.#source
    const consumer = options.consumer ?? `${subscription}/${eventType}`
    if (typeof consumer !== 'string' || consumer.length === 0 || consumer.length > 200) {
      throw new InvalidOptionsError(`inbox consumer name must be 1 to 200 characters, got ${JSON.stringify(consumer)}`)
    }
    if (this.#consumers.has(consumer)) {
      throw new InvalidOptionsError(`inbox consumer "${consumer}" is already subscribed; give each handler its own { consumer } name, or events would be applied by only one of them`)
    }
    const wrapped: MessageHandler<any> = async (envelope, delivery) => {
      await this.#handle(consumer, handler, envelope, delivery)
    }
    this.#consumers.set(consumer, { handler, wrapped, eventType })
    try {
      await this.#bus.subscribe(event as string, wrapped, { subscription, ordered: options.ordered })
    } catch (err) {
      this.#consumers.delete(consumer)
      throw err
    }
  }

  get stats (): Readonly<InboxStats> {
    return { ...this.#stats }
  }

  /** Removes every inbox consumer that runs `handler` for this event type. */
  async unsubscribe (event: EventSelector, handler: InboxHandler<any>): Promise<void> {
    const eventType = typeof event === 'string' ? event : event.type
    for (const [consumer, entry] of this.#consumers) {
      if (entry.handler !== handler || entry.eventType !== eventType) continue
      this.#consumers.delete(consumer)
      await this.#bus.unsubscribe(eventType, entry.wrapped)
    }
  }

  /** Deletes inbox marks older than `olderThanMs` (at most `limit`). Keep marks longer than any redelivery can take. */
  async purge (olderThanMs: number, limit = 1000): Promise<number> {
    // A transaction of its own around one DELETE: the runner is all the inbox knows of the database.
    return await this.#transactions.transaction(async (tx) => await purgeInboxMarks(tx, this.#table, olderThanMs, limit))
  }

  async #handle (consumer: string, handler: InboxHandler<any>, envelope: MessageEnvelope, delivery: Delivery): Promise<void> {
    const applied = await this.#transactions.transaction(async (tx, outbox) => {
      if (!await markProcessed(tx, this.#table, consumer, envelope)) {
        this.#logger.debug({ consumer, ...eventLogFields(envelope), redeliveryCount: delivery.redeliveryCount },
          'Duplicate delivery acknowledged; the event was already applied')
        return false
      }
      await handler(envelope, { tx, outbox, delivery })
      return true
    }, { correlationId: envelope.correlationId, causationId: envelope.eventId })
    if (applied) {
      this.#stats.applied++
    } else {
      this.#stats.duplicates++
      this.telemetry.duplicateAbsorbed({ eventType: envelope.eventType, consumer })
    }
  }
}
