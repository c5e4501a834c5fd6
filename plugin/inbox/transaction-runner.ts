import type { OutboxTransaction } from '../database/database.js'
import type { TransactionOutbox } from '../outbox/transaction-outbox.js'

/** What a handled event hands on to the events its handler adds. */
export interface HandledEventIds {
  correlationId?: string | null
  /** The handled event's id. */
  causationId?: string | null
}

/**
 * All the inbox needs of the outbox and the database: a transaction in which a handler's changes,
 * its inbox mark and the events it adds commit together, or roll back together. `Outbox` is one
 * (`Outbox.transaction`); the inbox depends on this, never on the Outbox class.
 */
export interface TransactionRunner {
  transaction<T> (work: (tx: OutboxTransaction, outbox: TransactionOutbox) => Promise<T>, ids?: HandledEventIds): Promise<T>
}
