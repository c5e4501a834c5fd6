import type { Delivery, MessageHandler } from './bus.js'
import type { SubscriptionGroup } from './subscription-registry.js'
import type { Codecs } from '../codec/codecs.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import type { EventCatalog } from '../events/event-catalog.js'
import { eventLogFields, type OutboxLogger } from '../logger.js'
import { isDatabaseOutage } from '../database/database-errors.js'
import { InvalidPayloadError } from '../errors.js'
import { processTraced } from '../telemetry/messaging-spans.js'
import type { HandlerOutcome, Telemetry } from '../telemetry/telemetry.js'

/** What a transport should do with a message after its handlers ran. */
export type Verdict =
  | { readonly kind: 'ack' }
  | { readonly kind: 'retry', readonly error: Error }
  | { readonly kind: 'dead-letter', readonly reason: string, readonly envelope: MessageEnvelope | null }

export interface DispatcherOptions {
  codecs: Codecs
  catalog: EventCatalog
  logger: OutboxLogger
  /** Deliveries after the first before a failing message is dead-lettered. */
  maxRedeliveries: number
  telemetry: Telemetry
  /** The transport's name for traces' messaging.system ("pulsar", "kafka", ...). */
  system: () => string
}

const ack: Verdict = Object.freeze({ kind: 'ack' })

/**
 * Decodes a message and runs the handlers of its event type, then says what to do with it.
 * Transport-neutral: the in-memory and Pulsar buses share it, so they agree on every rule:
 * - bytes that do not decode (by the codec their content type names), or a payload that fails its schema, are dead-lettered at once:
 *   redelivering them cannot help;
 * - an event type no handler of this subscription wants is acknowledged (several types may share
 *   a topic) and logged;
 * - a handler that throws makes the message retried, and dead-lettered once it has been
 *   redelivered `maxRedeliveries` times, with the error as the reason;
 * - except when it threw because the database is unreachable (isDatabaseOutage): that message
 *   is retried for as long as the outage lasts, never dead-lettered.
 */
export class Dispatcher {
  readonly #options: DispatcherOptions

  constructor (options: DispatcherOptions) {
    this.#options = options
  }

  async dispatch (group: SubscriptionGroup, bytes: Uint8Array, contentType: string | null, properties: Readonly<Record<string, string>>, delivery: Delivery): Promise<Verdict> {
    const verdict = await this.#decide(group, bytes, contentType, properties, delivery)
    if (verdict.kind === 'dead-letter') {
      this.#options.telemetry.deadLettered({ eventType: verdict.envelope?.eventType ?? null, topic: group.topic, subscription: group.subscription, reason: verdict.reason })
    }
    return verdict
  }

  async #decide (group: SubscriptionGroup, bytes: Uint8Array, contentType: string | null, properties: Readonly<Record<string, string>>, delivery: Delivery): Promise<Verdict> {
    const { codecs, catalog, logger } = this.#options
    let envelope: MessageEnvelope
    try {
      envelope = await codecs.decode(bytes, contentType, properties)
    } catch (err) {
      return { kind: 'dead-letter', reason: (err as Error).message, envelope: null }
    }
    const handlers = group.handlers.get(envelope.eventType)
    if (handlers === undefined || handlers.length === 0) {
      // A known type on a topic several types share is routine; a type nobody defined is news.
      const known = catalog.get(envelope.eventType) !== undefined
      const log = known ? logger.debug.bind(logger) : logger.warn.bind(logger)
      log({ ...eventLogFields(envelope), topic: group.topic, subscription: group.subscription },
        known ? 'Acknowledged an event this subscription does not handle' : 'Acknowledged an event of an unknown type')
      return ack
    }
    const problems = catalog.get(envelope.eventType)?.explain(envelope.payload) ?? null
    if (problems !== null) {
      return { kind: 'dead-letter', reason: new InvalidPayloadError(envelope.eventType, problems).message, envelope }
    }
    const started = performance.now()
    const verdict = await this.#runHandlers(group, handlers, envelope, delivery)
    const outcome: HandlerOutcome = verdict.kind === 'ack' ? 'success' : verdict.kind === 'retry' ? 'retry' : 'dead_letter'
    this.#options.telemetry.handled({ envelope, topic: group.topic, subscription: group.subscription, durationMs: performance.now() - started, outcome })
    return verdict
  }

  async #runHandlers (group: SubscriptionGroup, handlers: readonly MessageHandler[], envelope: MessageEnvelope, delivery: Delivery): Promise<Verdict> {
    const { logger, maxRedeliveries } = this.#options
    try {
      await processTraced(this.#options.system(), group.topic, group.subscription, envelope, async () => {
        for (const handler of handlers) await handler(envelope, delivery)
      })
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err))
      if (isDatabaseOutage(error)) {
        // Not the message's fault: retried until the database is back, however long that takes,
        // never dead-lettered (as the projector keeps rows pending through a broker outage).
        logger.warn({ err: error, ...eventLogFields(envelope), subscription: group.subscription, redeliveryCount: delivery.redeliveryCount },
          'Handler failed: the database is unreachable; the message will be redelivered, and not dead-lettered for it')
        return { kind: 'retry', error }
      }
      if ((error as { code?: unknown }).code === 'OUTBOX_DEAD_LETTER') {
        return { kind: 'dead-letter', reason: error.message, envelope }
      }
      if (delivery.redeliveryCount >= maxRedeliveries) {
        return { kind: 'dead-letter', reason: `handler failed on delivery ${delivery.redeliveryCount + 1} of ${maxRedeliveries + 1}: ${error.message}`, envelope }
      }
      logger.warn({ err: error, ...eventLogFields(envelope), subscription: group.subscription, redeliveryCount: delivery.redeliveryCount },
        'Handler failed; the message will be redelivered')
      return { kind: 'retry', error }
    }
    return ack
  }
}
