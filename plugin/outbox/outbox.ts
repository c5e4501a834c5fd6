import { CommitSignal } from './commit-signal.js'
import { readBacklog, readBlockedKeys, type BlockedKey, type OutboxBacklog } from './statements/backlog.js'
import { insertOutboxRows } from './statements/insert-outbox-rows.js'
import { purgePublishedRows, replayFailedRows, type ReplaySelection } from './statements/maintenance.js'
import { outbox as defaultOutboxTable, type OutboxTable } from './tables.js'
import { buildOutboxEnvelope, describeEvent, TransactionOutbox, type AddEventOptions } from './transaction-outbox.js'
import type { OutboxDatabase, OutboxTransaction } from '../database/database.js'
import { isDrizzleDatabase } from '../database/database.js'
import { driverCapabilities, type DriverCapabilities } from '../database/driver-capabilities.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import type { DomainEvent } from '../events/define-event.js'
import { EventCatalog } from '../events/event-catalog.js'
import type { EmitContext } from '../events/to-envelope.js'
import { InvalidOptionsError, NoTransactionError } from '../errors.js'
import { silentLogger, type OutboxLogger } from '../logger.js'
import { booleanOption, nonNegativeInteger } from '../option-checks.js'

export interface OutboxOptions {
  db: OutboxDatabase
  /** This service's name, stamped on every event. */
  source: string
  table?: OutboxTable
  catalog?: EventCatalog
  logger?: OutboxLogger
  /**
   * NOTIFY channel used to wake projectors in other processes after a commit; null to send none
   * (projectors in this process are woken directly). Default null.
   */
  notifyChannel?: string | null
  /** At most one NOTIFY per this many ms; default 5. */
  notifyCoalesceMs?: number
  /**
   * The driver's fast paths: the INSERT prepared once and, on postgres-js, sent with COMMIT.
   * False writes with plain Drizzle statements (for when a driver or Drizzle upgrade breaks a
   * fast path). Default true.
   */
  driverFastPaths?: boolean
}

export interface StandaloneAddOptions extends AddEventOptions {
  /** Write the event in its own transaction, on purpose, outside any business change. */
  standalone: true
}

export interface InTransactionAddOptions extends AddEventOptions {
  /** The caller's open transaction: the event is inserted in it right away. */
  tx: OutboxDatabase
}

/** What work done in `Outbox.transaction` gets: the transaction, and its outbox. */
export type TransactionWork<T> = (tx: OutboxTransaction, outbox: TransactionOutbox) => Promise<T>

/**
 * The write side of the outbox: adds events in the same transaction as the business change, and
 * reports on the backlog. Decorated as `fastify.outbox`.
 */
export class Outbox {
  readonly db: OutboxDatabase
  readonly table: OutboxTable
  readonly source: string
  readonly catalog: EventCatalog
  readonly signal: CommitSignal
  readonly #logger: OutboxLogger
  readonly #driver: DriverCapabilities

  constructor (options: OutboxOptions) {
    if (options === null || typeof options !== 'object') throw new InvalidOptionsError('Outbox options must be an object')
    if (!isDrizzleDatabase(options.db)) throw new InvalidOptionsError('db must be a Drizzle PostgreSQL database, e.g. drizzle(postgres(url)) or drizzle(new PGlite())')
    if (typeof options.source !== 'string' || options.source.length === 0) throw new InvalidOptionsError('source must name this service')
    this.db = options.db
    this.table = options.table ?? defaultOutboxTable
    this.source = options.source
    this.catalog = options.catalog ?? new EventCatalog()
    this.#logger = options.logger ?? silentLogger
    this.#driver = driverCapabilities(this.db, { fastPaths: booleanOption('driverFastPaths', options.driverFastPaths, true) })
    this.signal = new CommitSignal(this.db, options.notifyChannel ?? null, nonNegativeInteger('notifyCoalesceMs', options.notifyCoalesceMs, 5), this.#logger)
  }

  /**
   * Runs `work` in a database transaction; events added to the outbox it is handed are inserted
   * (one statement) when `work` returns, and commit or roll back with everything else it did.
   * On postgres-js the INSERT goes out with the COMMIT, without a round trip of its own.
   */
  async transaction<T> (work: TransactionWork<T>, context: Partial<EmitContext> = {}): Promise<T> {
    let added = 0
    let inserting: Promise<void> | null = null
    const result = await this.db.transaction(async (tx) => {
      const outbox = new TransactionOutbox({ ...context, source: this.source }, this.catalog)
      let value: T
      try {
        value = await work(tx, outbox)
      } finally {
        outbox.close()
      }
      added = outbox.entries.length
      const { commitPipeline, preparedInsert } = this.#driver
      if (added > 0 && commitPipeline !== null) {
        // Sent, not awaited: it travels with COMMIT. Its outcome is checked below.
        const insert = insertOutboxRows(tx, this.table, outbox.entries, preparedInsert)
        let failedInProcess = false
        insert.catch(() => { failedInProcess = true })
        inserting = insert
        await commitPipeline.handedToDriver()
        // Failed before it reached the database (a value that cannot be encoded): it must stop
        // the COMMIT here, or the business change would commit without its events.
        if (failedInProcess) await insert
      } else {
        await insertOutboxRows(tx, this.table, outbox.entries, preparedInsert)
      }
      return value
    })
    // A failed INSERT aborted the transaction, and PostgreSQL answered the COMMIT behind it with
    // a ROLLBACK, which is no error: the INSERT's own error is the only word of it. Nothing was
    // written; say so.
    if (inserting !== null) await inserting
    if (added > 0) this.signal.committed()
    return result
  }

  /**
   * Adds one event outside `transaction()`: in the caller's own transaction (`{ tx }`), or on its
   * own (`{ standalone: true }`). Anything else is refused: an event written outside the
   * business transaction could survive a rollback, or be lost after a commit.
   */
  async add<P> (event: DomainEvent<P>, options: InTransactionAddOptions | StandaloneAddOptions): Promise<MessageEnvelope<P>> {
    const tx = (options as Partial<InTransactionAddOptions> | undefined)?.tx
    const standalone = (options as Partial<StandaloneAddOptions> | undefined)?.standalone === true
    if (tx === undefined && !standalone) throw new NoTransactionError(describeEvent(event))
    const envelope = buildOutboxEnvelope(event, { source: this.source }, options, this.catalog)
    await insertOutboxRows(tx ?? this.db, this.table, [{ envelope, topic: event.definition.topic }], this.#driver.preparedInsert)
    // With { tx } the caller commits later; projectors find the row by polling or the next wake-up.
    if (standalone) this.signal.committed()
    return envelope
  }

  /** Pending and failed counts and the age of the oldest pending row. */
  async backlog (): Promise<OutboxBacklog> {
    return await readBacklog(this.db, this.table)
  }

  /** Partition keys held back by a failing event (at most `limit`). */
  async blockedKeys (limit = 100): Promise<BlockedKey[]> {
    return await readBlockedKeys(this.db, this.table, limit)
  }

  /** Puts failed rows back to pending with fresh attempts; returns how many. */
  async replayFailed (selection: ReplaySelection = {}): Promise<number> {
    const count = await replayFailedRows(this.db, this.table, selection)
    if (count > 0) {
      this.#logger.info({ count, ...selection }, 'Replaying failed outbox rows')
      this.signal.committed()
    }
    return count
  }

  /** Deletes published rows older than `olderThanMs`, at most `limit` of them; returns how many. */
  async purgePublished (olderThanMs: number, limit = 1000): Promise<number> {
    return await purgePublishedRows(this.db, this.table, olderThanMs, limit)
  }
}
