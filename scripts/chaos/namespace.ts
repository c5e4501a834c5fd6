import { defaultDeadLetterTopic, type PulsarAdmin } from 'fastify-outbox/pulsar'
import { LEDGER_SUBSCRIPTION } from './instance/ledger-consumer.js'

/** The run's subscription on the dead-letter topics. */
const WATCHER = 'chaos-dead-letters'

/**
 * A Pulsar namespace of the run's own (public/<name>), passed to the services as
 * PULSAR_NAMESPACE: the demo's fixed topic and subscription names never meet another run's.
 */
export class ChaosNamespace {
  readonly name: string
  readonly #admin: PulsarAdmin
  #created = false

  constructor (admin: PulsarAdmin, name: string) {
    this.#admin = admin
    this.name = name
  }

  async create (): Promise<void> {
    await this.#admin.request('PUT', `/admin/v2/namespaces/public/${this.name}`)
    this.#created = true
  }

  /**
   * Deletes the topics (force: consumers may still be attached), then the namespace: the
   * standalone broker refuses a forced namespace delete (HTTP 405). Idempotent.
   */
  async delete (): Promise<void> {
    if (!this.#created) return
    for (let attempt = 1; ; attempt++) {
      // System topics too (__change_events of topic policies): they also keep a namespace non-empty.
      const topics = await this.#admin.request('GET', `/admin/v2/namespaces/public/${this.name}/topics?includeSystemTopic=true`) as string[]
      for (const topic of topics) await this.#admin.deleteTopic(topic).catch(() => {})
      try {
        await this.#admin.request('DELETE', `/admin/v2/namespaces/public/${this.name}`)
        this.#created = false
        return
      } catch (err) {
        if (attempt === 3) throw new Error(`${(err as Error).message}; topics listed: ${topics.join(', ') || 'none'}`)
        await new Promise((resolve) => setTimeout(resolve, 1000))
      }
    }
  }

  /**
   * Subscribes the run to the dead-letter topics of the demo's subscriptions, from their first
   * message: what is parked there is then counted by the subscription's backlog, which survives a
   * broker restart (topic counters do not).
   */
  async watchDeadLetters (): Promise<void> {
    for (const topic of this.#deadLetterTopics()) await this.#admin.createSubscription(topic, WATCHER, 'Earliest')
  }

  /** Messages parked on the dead-letter topics since watchDeadLetters(). */
  async deadLettered (): Promise<number> {
    let total = 0
    for (const topic of this.#deadLetterTopics()) {
      total += (await this.#admin.topicStats(topic)).subscriptions[WATCHER]?.msgBacklog ?? 0
    }
    return total
  }

  /**
   * The demo's subscriptions (inventory on order-events, order-service on inventory-events) and
   * the run's ledger consumer, on both topics.
   */
  #deadLetterTopics (): string[] {
    return [['order-events', 'inventory'], ['inventory-events', 'order-service'], ['order-events', LEDGER_SUBSCRIPTION], ['inventory-events', LEDGER_SUBSCRIPTION]]
      .map(([topic, subscription]) => defaultDeadLetterTopic(`persistent://public/${this.name}/${topic!}`, subscription!))
  }
}
