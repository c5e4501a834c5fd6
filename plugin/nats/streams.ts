import type { JetStreamManager } from '@nats-io/jetstream'
import type { NatsClientModules } from './load-client.js'
import type { NatsBusSettings } from './nats-bus-options.js'
import type { TopicLayout } from './topic-layout.js'

const MS_IN_NANOS = 1_000_000

/**
 * Creates the streams the bus writes to when they are missing, once per process: a topic's
 * stream (file storage, limits retention by age, the deduplication window on) and its
 * dead-letter stream (kept until removed). A stream that exists is used as it is: its operator
 * may have set other limits on purpose.
 */
export class StreamProvisioner {
  readonly #ensured = new Map<string, Promise<void>>()

  constructor (
    private readonly client: NatsClientModules,
    private readonly jsm: JetStreamManager,
    private readonly settings: NatsBusSettings
  ) {}

  async topic (layout: TopicLayout): Promise<void> {
    await this.#ensure(layout.stream, layout.subjects, this.settings.retentionMs)
  }

  async deadLetters (layout: TopicLayout): Promise<void> {
    await this.#ensure(layout.deadLetterStream, layout.deadLetterSubjects, 0)
  }

  #ensure (name: string, subjects: string, maxAgeMs: number): Promise<void> {
    let ensured = this.#ensured.get(name)
    if (ensured === undefined) {
      ensured = this.#create(name, subjects, maxAgeMs)
      ensured.catch(() => { this.#ensured.delete(name) })
      this.#ensured.set(name, ensured)
    }
    return ensured
  }

  async #create (name: string, subjects: string, maxAgeMs: number): Promise<void> {
    const { StorageType, RetentionPolicy, DiscardPolicy } = this.client.jetstream
    try {
      await this.jsm.streams.info(name)
      return
    } catch (err) {
      if ((err as Error).name !== 'StreamNotFoundError') throw err
    }
    try {
      await this.jsm.streams.add({
        name,
        subjects: [subjects],
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
        max_age: maxAgeMs * MS_IN_NANOS,
        duplicate_window: this.settings.duplicateWindowMs * MS_IN_NANOS,
        num_replicas: this.settings.replicas
      })
    } catch (err) {
      // Another instance created it meanwhile.
      if (!/already in use/i.test((err as Error).message)) throw err
    }
  }
}

export function nanos (ms: number): number {
  return ms * MS_IN_NANOS
}
