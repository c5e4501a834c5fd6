import type { OutboxEntry } from './statements/insert-outbox-rows.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { isUuid } from '../envelope/event-id.js'
import type { DomainEvent } from '../events/define-event.js'
import type { EventCatalog } from '../events/event-catalog.js'
import { toEnvelope, type EmitContext } from '../events/to-envelope.js'
import { traceHeaders } from '../telemetry/trace-context.js'
import { InvalidEnvelopeError, TransactionClosedError } from '../errors.js'

export interface AddEventOptions {
  /** Overrides the correlation id the transaction carries. */
  correlationId?: string | null
  /** Overrides the causation id the transaction carries. */
  causationId?: string | null
}

/**
 * The outbox of one open transaction: events added here are validated at once (a bad payload
 * throws, so the transaction rolls back) and inserted together, in one statement, when the
 * transaction's work is done, just before COMMIT.
 */
export class TransactionOutbox {
  readonly #context: EmitContext
  readonly #catalog: EventCatalog
  readonly #entries: OutboxEntry[] = []
  #closed = false

  constructor (context: EmitContext, catalog: EventCatalog) {
    this.#context = context
    this.#catalog = catalog
  }

  /** Events added so far, in order. */
  get events (): MessageEnvelope[] {
    return this.#entries.map((entry) => entry.envelope)
  }

  get entries (): readonly OutboxEntry[] {
    return this.#entries
  }

  /** Adds an event to this transaction and returns its envelope (event id, correlation, ...). */
  add<P> (event: DomainEvent<P>, options: AddEventOptions = {}): MessageEnvelope<P> {
    if (this.#closed) throw new TransactionClosedError(describeEvent(event))
    const envelope = buildOutboxEnvelope(event, this.#context, options, this.#catalog)
    this.#entries.push({ envelope, topic: event.definition.topic })
    return envelope
  }

  /** Called when the transaction's work returned or threw: later adds are mistakes. */
  close (): void {
    this.#closed = true
  }
}

/** Validates an event for the outbox and wraps it: the checks every way of adding shares. */
export function buildOutboxEnvelope<P> (event: DomainEvent<P>, context: EmitContext, options: AddEventOptions, catalog: EventCatalog): MessageEnvelope<P> {
  if (event === null || typeof event !== 'object' || event.definition === undefined) {
    throw new InvalidEnvelopeError('outbox.add() takes an event made by a definition: MyEvent.create(payload)')
  }
  catalog.register(event.definition)
  const envelope = toEnvelope(event, {
    ...context,
    // The trace that adds the event (the request, or the handler of the event that caused it)
    // rides with the row, so the projector's publish continues it.
    headers: { ...traceHeaders(), ...context.headers },
    correlationId: options.correlationId !== undefined ? options.correlationId : context.correlationId,
    causationId: options.causationId !== undefined ? options.causationId : context.causationId
  })
  // The outbox column is a uuid: say so here rather than fail the whole transaction at INSERT.
  if (!isUuid(envelope.eventId)) throw new InvalidEnvelopeError(`eventId ${JSON.stringify(envelope.eventId)} must be a UUID for the outbox`)
  return envelope
}

export function describeEvent (event: unknown): string {
  const type = (event as { type?: unknown } | null)?.type
  return typeof type === 'string' ? type : 'event'
}
