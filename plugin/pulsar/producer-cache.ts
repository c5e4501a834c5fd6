import type { PulsarProducer } from './driver.js'

/**
 * One producer per topic, created on the first send to it. Concurrent first sends share one
 * creation (a producer per send would open a socket each); a failed creation is forgotten so the
 * next send tries again (the broker may be back by then).
 */
export class ProducerCache {
  readonly #create: (topic: string) => Promise<PulsarProducer>
  readonly #producers = new Map<string, Promise<PulsarProducer>>()
  #closed = false

  constructor (create: (topic: string) => Promise<PulsarProducer>) {
    this.#create = create
  }

  get (topic: string): Promise<PulsarProducer> {
    const known = this.#producers.get(topic)
    if (known !== undefined) return known
    const creating = this.#create(topic)
    this.#producers.set(topic, creating)
    creating.catch(() => {
      if (this.#producers.get(topic) === creating) this.#producers.delete(topic)
    })
    return creating
  }

  get size (): number {
    return this.#producers.size
  }

  /** Closes every producer (each waits for its sends in flight). Idempotent. */
  async closeAll (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const creations = [...this.#producers.values()]
    this.#producers.clear()
    await Promise.allSettled(creations.map(async (creating) => await (await creating).close()))
  }
}
