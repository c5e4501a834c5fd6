import type { Producer } from '@platformatic/kafka'
import { KafkaMessageTooLargeError } from './errors.js'

/** One record to produce, and who waits for it. */
export interface OutgoingRecord {
  readonly topic: string
  readonly key: string | null
  readonly value: Buffer
  readonly headers: Readonly<Record<string, string>>
}

export type RecordProducer = Producer<string, Buffer, string, string>

interface Waiting {
  readonly record: OutgoingRecord
  readonly resolve: () => void
  readonly reject: (err: Error) => void
}

export interface ProduceBatcherOptions {
  /** Records per produce request, at most. */
  readonly maxBatchRecords: number
  /** Sends one batch; rejects with a typed error (see client-errors.ts). */
  readonly send: (records: readonly OutgoingRecord[]) => Promise<void>
}

/**
 * Gathers the records that publish() is given while a produce request is in flight into the
 * next request. A broker answers one connection's requests one at a time, so a record per
 * request leaves it waiting on round trips (bench/kafka-clients.ts: single sends against batched
 * ones); a projector publishing a batch of rows at once becomes a few requests instead. One request
 * in flight at a time keeps the records of a key in the order they were published.
 */
export class ProduceBatcher {
  readonly #options: ProduceBatcherOptions
  #waiting: Waiting[] = []
  #sending = false

  constructor (options: ProduceBatcherOptions) {
    this.#options = options
  }

  /** Resolves once the brokers have the record (acks from all in-sync replicas). */
  async send (record: OutgoingRecord): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#waiting.push({ record, resolve, reject })
      // The records published in this turn of the event loop leave together.
      if (!this.#sending) setImmediate(() => { void this.#flush() })
    })
  }

  async #flush (): Promise<void> {
    if (this.#sending) return
    this.#sending = true
    try {
      while (this.#waiting.length > 0) {
        const batch = this.#waiting.splice(0, this.#options.maxBatchRecords)
        await this.#sendBatch(batch)
      }
    } finally {
      this.#sending = false
    }
  }

  async #sendBatch (batch: Waiting[]): Promise<void> {
    try {
      await this.#options.send(batch.map((w) => w.record))
      for (const waiting of batch) waiting.resolve()
    } catch (err) {
      // One record too large fails its whole request: send them one by one, so that only that
      // record fails (and spends an attempt), not the rows that happened to travel with it.
      if (err instanceof KafkaMessageTooLargeError && batch.length > 1) {
        for (const waiting of batch) await this.#sendBatch([waiting])
        return
      }
      for (const waiting of batch) waiting.reject(err as Error)
    }
  }
}
