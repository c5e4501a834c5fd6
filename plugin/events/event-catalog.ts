import type { TSchema } from '@sinclair/typebox'
import type { EventDefinition } from './define-event.js'
import { DuplicateEventError } from '../errors.js'

/**
 * The event definitions one process knows, by type: consumers validate incoming payloads
 * against them, the projector re-checks rows before relaying, and the bus maps types to topics.
 */
export class EventCatalog {
  readonly #byType = new Map<string, EventDefinition<string, TSchema>>()

  constructor (definitions: Iterable<EventDefinition<string, TSchema>> = []) {
    for (const definition of definitions) this.register(definition)
  }

  register (definition: EventDefinition<string, TSchema>): void {
    const known = this.#byType.get(definition.type)
    if (known === undefined) {
      this.#byType.set(definition.type, definition)
      return
    }
    if (known !== definition && JSON.stringify(known.schema) !== JSON.stringify(definition.schema)) {
      throw new DuplicateEventError(definition.type)
    }
  }

  get (type: string): EventDefinition<string, TSchema> | undefined {
    return this.#byType.get(type)
  }

  /** The topic short name of an event type: its definition's topic, else the type itself. */
  topicOf (type: string): string {
    return this.#byType.get(type)?.topic ?? type
  }

  /** Every definition, in the order they were registered. */
  definitions (): IterableIterator<EventDefinition<string, TSchema>> {
    return this.#byType.values()
  }

  get size (): number {
    return this.#byType.size
  }
}
