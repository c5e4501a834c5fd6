import { silentLogger, type OutboxLogger } from '../logger.js'
import { nonNegativeInteger, positiveInteger } from '../option-checks.js'

export interface RetentionOptions {
  /** Keep published outbox rows this long, in ms; default 7 days. */
  publishedMs?: number
  /**
   * Keep inbox marks this long, in ms; default 14 days. A redelivery older than this would be
   * applied again, so keep it well above your broker's retention and any replay you may do.
   */
  inboxMs?: number
  /** How often to sweep, in ms; default 60000. */
  intervalMs?: number
  /** Rows deleted per statement; default 1000. Small batches keep each delete's locks short. */
  batchSize?: number
}

const MAX_BATCHES_PER_SWEEP = 100

/** What the sweeper purges: old published outbox rows (the outbox), old marks (the inbox). */
export interface PublishedRowsPurge {
  purgePublished (olderThanMs: number, limit: number): Promise<number>
}
export interface InboxMarksPurge {
  purge (olderThanMs: number, limit: number): Promise<number>
}

/** Deletes old published rows and inbox marks in the background, a small batch at a time. */
export class RetentionSweeper {
  readonly #outbox: PublishedRowsPurge
  readonly #inbox: InboxMarksPurge | null
  readonly #logger: OutboxLogger
  readonly #publishedMs: number
  readonly #inboxMs: number
  readonly #intervalMs: number
  readonly #batchSize: number
  #timer: NodeJS.Timeout | null = null
  #sweeping: Promise<unknown> | null = null

  constructor (outbox: PublishedRowsPurge, inbox: InboxMarksPurge | null, options: RetentionOptions = {}, logger: OutboxLogger = silentLogger) {
    this.#outbox = outbox
    this.#inbox = inbox
    this.#logger = logger
    this.#publishedMs = nonNegativeInteger('retention.publishedMs', options.publishedMs, 7 * 24 * 3600_000)
    this.#inboxMs = nonNegativeInteger('retention.inboxMs', options.inboxMs, 14 * 24 * 3600_000)
    this.#intervalMs = positiveInteger('retention.intervalMs', options.intervalMs, 60_000)
    this.#batchSize = positiveInteger('retention.batchSize', options.batchSize, 1000)
  }

  start (): void {
    if (this.#timer !== null) return
    this.#timer = setInterval(() => {
      if (this.#sweeping !== null) return
      this.#sweeping = this.sweep()
        .catch((err: unknown) => this.#logger.warn({ err }, 'Retention sweep failed; it will run again'))
        .finally(() => { this.#sweeping = null })
    }, this.#intervalMs)
    this.#timer.unref()
  }

  async stop (): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer)
    this.#timer = null
    await this.#sweeping
  }

  /** One sweep: deletes in batches until nothing old is left (or a bounded number of batches). */
  async sweep (): Promise<{ published: number, inbox: number }> {
    const published = await this.#drain((limit) => this.#outbox.purgePublished(this.#publishedMs, limit))
    const inbox = this.#inbox === null ? 0 : await this.#drain((limit) => this.#inbox!.purge(this.#inboxMs, limit))
    if (published + inbox > 0) this.#logger.info({ published, inbox }, 'Retention sweep deleted old rows')
    return { published, inbox }
  }

  async #drain (purge: (limit: number) => Promise<number>): Promise<number> {
    let total = 0
    for (let i = 0; i < MAX_BATCHES_PER_SWEEP; i++) {
      const deleted = await purge(this.#batchSize)
      total += deleted
      if (deleted < this.#batchSize) break
    }
    return total
  }
}
