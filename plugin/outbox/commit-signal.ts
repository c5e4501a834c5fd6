import { sql } from 'drizzle-orm'
import type { OutboxDatabase } from '../database/database.js'
import type { OutboxLogger } from '../logger.js'

/**
 * Tells projectors that new rows were committed.
 *
 * In-process listeners (the local projector) are called at once. Other processes can be told
 * with NOTIFY, sent after the commit in its own statement and coalesced to one per
 * `coalesceMs`: NOTIFY inside the business transaction takes a global lock at commit, the
 * costliest of the designs measured (BENCHMARKS.md, "The wake-up design").
 */
export class CommitSignal {
  readonly #db: OutboxDatabase
  readonly #channel: string | null
  readonly #coalesceMs: number
  readonly #logger: OutboxLogger
  readonly #listeners = new Set<() => void>()
  #notifyScheduled = false

  constructor (db: OutboxDatabase, channel: string | null, coalesceMs: number, logger: OutboxLogger) {
    this.#db = db
    this.#channel = channel
    this.#coalesceMs = coalesceMs
    this.#logger = logger
  }

  /** Calls `listener` after each commit that added events; returns a function that removes it. */
  onCommit (listener: () => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  committed (): void {
    for (const listener of this.#listeners) listener()
    if (this.#channel !== null && !this.#notifyScheduled) {
      this.#notifyScheduled = true
      setTimeout(() => this.#notify(), this.#coalesceMs).unref()
    }
  }

  #notify (): void {
    this.#notifyScheduled = false
    const channel = this.#channel!
    // Fire and forget: projectors poll anyway, so a lost NOTIFY only delays a row by a poll interval.
    this.#db.execute(sql`select pg_notify(${channel}, '')`).catch((err: unknown) => {
      this.#logger.warn({ err, channel }, 'NOTIFY after commit failed; projectors will find the rows by polling')
    })
  }
}
