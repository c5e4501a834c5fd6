import type { PulsarAdmin } from '../../plugin/index.js'

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
   * Messages parked on dead-letter topics (`…-DLQ`). Read from the managed ledger's entry count,
   * which survives a broker restart (the topic's msgInCounter does not).
   */
  async deadLettered (): Promise<number> {
    const topics = (await this.#admin.listTopics()).filter((topic) => topic.endsWith('-DLQ'))
    let total = 0
    for (const topic of topics) {
      const path = topic.replace('persistent://', '/admin/v2/persistent/')
      const stats = await this.#admin.request('GET', `${path}/internalStats`) as { numberOfEntries?: number }
      total += stats.numberOfEntries ?? 0
    }
    return total
  }
}
