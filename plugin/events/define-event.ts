import type { Static, TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { DEFAULT_EVENT_VERSION } from '../envelope/envelope.js'
import { isEventName } from '../envelope/event-name.js'
import { InvalidEventNameError, InvalidPayloadError } from '../errors.js'
import { registerCommonFormats } from './formats.js'

registerCommonFormats()

export interface EventDefinitionOptions<P> {
  /** Payload schema version written into every envelope; default "1.0". */
  version?: string
  /**
   * Derives the partition key from the payload: events with the same key are relayed and
   * consumed in order (for example the aggregate id). Without it events are unordered.
   */
  partitionKey?: (payload: P) => string
  /**
   * Topic (short name) the event is published to; default its event type. Give the events of
   * one aggregate the same topic to keep their order across event types.
   */
  topic?: string
}

export interface CreateEventOptions {
  eventId?: string
  occurredAt?: Date | string
  /** Overrides the definition's partitionKey function. */
  partitionKey?: string | null
  headers?: Record<string, string>
}

/** An event ready to be added to the outbox or published: a payload tied to its definition. */
export interface DomainEvent<P = unknown> {
  readonly definition: EventDefinition<string, TSchema>
  readonly type: string
  readonly payload: P
  readonly eventId?: string
  readonly occurredAt?: Date | string
  readonly partitionKey: string | null
  readonly headers?: Record<string, string>
}

export interface EventDefinition<Name extends string = string, S extends TSchema = TSchema> {
  readonly type: Name
  readonly schema: S
  readonly version: string
  readonly topic: string
  /** Builds an event of this type. The payload is validated when the event is added or published. */
  create (payload: Static<S>, options?: CreateEventOptions): DomainEvent<Static<S>>
  /** True when the envelope carries this event type (narrows its payload type). */
  is (envelope: MessageEnvelope): envelope is MessageEnvelope<Static<S>>
  /** True when the payload matches the schema. */
  check (payload: unknown): payload is Static<S>
  /** What does not match the schema (the first few problems), or null when the payload is valid. */
  explain (payload: unknown): string | null
  /** Throws InvalidPayloadError listing what does not match. */
  assertValid (payload: unknown): asserts payload is Static<S>
}

/** The payload type of an event definition. */
export type PayloadOf<D> = D extends EventDefinition<string, infer S> ? Static<S> : never

const MAX_REPORTED_ERRORS = 3

/**
 * Declares an event type once, with its TypeBox schema:
 *   export const OrderCreated = defineEvent('order.OrderCreated', Type.Object({ orderId: Type.String() }))
 * The schema is compiled once; checks cost microseconds.
 */
export function defineEvent<Name extends string, S extends TSchema> (
  type: Name,
  schema: S,
  options: EventDefinitionOptions<Static<S>> = {}
): EventDefinition<Name, S> {
  if (typeof type !== 'string' || !isEventName(type)) throw new InvalidEventNameError(JSON.stringify(type))
  const checker = TypeCompiler.Compile(schema)
  const version = options.version ?? DEFAULT_EVENT_VERSION
  const keyOf = options.partitionKey
  const topic = options.topic ?? type

  const definition: EventDefinition<Name, S> = {
    type,
    schema,
    version,
    topic,
    create (payload, createOptions = {}) {
      const partitionKey = createOptions.partitionKey !== undefined
        ? createOptions.partitionKey
        : keyOf !== undefined && checker.Check(payload) ? keyOf(payload) : null
      return {
        definition,
        type,
        payload,
        eventId: createOptions.eventId,
        occurredAt: createOptions.occurredAt,
        partitionKey,
        headers: createOptions.headers
      }
    },
    is (envelope): envelope is MessageEnvelope<Static<S>> {
      return envelope.eventType === type
    },
    check (payload): payload is Static<S> {
      return checker.Check(payload)
    },
    explain (payload) {
      if (checker.Check(payload)) return null
      const problems: string[] = []
      for (const error of checker.Errors(payload)) {
        problems.push(`${error.path === '' ? '(root)' : error.path} ${error.message}`)
        if (problems.length === MAX_REPORTED_ERRORS) break
      }
      return problems.join('; ')
    },
    assertValid (payload): asserts payload is Static<S> {
      const problems = definition.explain(payload)
      if (problems !== null) throw new InvalidPayloadError(type, problems)
    }
  }
  return Object.freeze(definition)
}
