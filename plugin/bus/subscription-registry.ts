import type { MessageHandler } from './bus.js'

/**
 * The handlers that share one consumer: one topic read through one named subscription.
 * Several event types may share a topic and several handlers an event type.
 */
export interface SubscriptionGroup {
  readonly topic: string
  readonly subscription: string
  /** Per-key order asked by at least one handler (Key_Shared). */
  ordered: boolean
  readonly handlers: Map<string, MessageHandler[]>
}

/** Which handlers listen where; transports turn each group into one consumer. */
export class SubscriptionRegistry {
  readonly #groups = new Map<string, SubscriptionGroup>()

  /** Adds a handler; `created` tells the transport to open a consumer for a new group. */
  add (topic: string, subscription: string, eventType: string, handler: MessageHandler, ordered: boolean): { group: SubscriptionGroup, created: boolean } {
    const key = groupKey(topic, subscription)
    let group = this.#groups.get(key)
    const created = group === undefined
    if (group === undefined) {
      group = { topic, subscription, ordered, handlers: new Map() }
      this.#groups.set(key, group)
    }
    group.ordered ||= ordered
    const handlers = group.handlers.get(eventType) ?? []
    if (!handlers.includes(handler)) handlers.push(handler)
    group.handlers.set(eventType, handlers)
    return { group, created }
  }

  /** Removes a handler from every group of its event type; returns the groups left with no handler. */
  remove (eventType: string, handler: MessageHandler): SubscriptionGroup[] {
    const emptied: SubscriptionGroup[] = []
    for (const [key, group] of this.#groups) {
      const handlers = group.handlers.get(eventType)
      if (handlers === undefined) continue
      const left = handlers.filter((h) => h !== handler)
      if (left.length > 0) group.handlers.set(eventType, left)
      else group.handlers.delete(eventType)
      if (group.handlers.size === 0) {
        this.#groups.delete(key)
        emptied.push(group)
      }
    }
    return emptied
  }

  groups (): IterableIterator<SubscriptionGroup> {
    return this.#groups.values()
  }
}

function groupKey (topic: string, subscription: string): string {
  return `${topic}\u0000${subscription}`
}
