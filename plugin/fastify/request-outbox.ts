import type { OutboxTransaction } from '../database/database.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import type { DomainEvent } from '../events/define-event.js'
import { AmbiguousTransactionError, NoTransactionError } from '../errors.js'
import type { InTransactionAddOptions, Outbox, StandaloneAddOptions } from '../outbox/outbox.js'
import { describeEvent, type AddEventOptions, type TransactionOutbox } from '../outbox/transaction-outbox.js'

/**
 * `request.outbox`: the outbox as one request sees it. Events carry the request's correlation id.
 *
 *   await request.outbox.transaction(async (tx) => {
 *     await tx.insert(orders).values(order)
 *     request.outbox.add(OrderCreated.create({ orderId: order.id }))
 *   })
 */
export class RequestOutbox {
  readonly correlationId: string
  readonly #outbox: Outbox
  readonly #open: TransactionOutbox[] = []

  constructor (outbox: Outbox, correlationId: string) {
    this.#outbox = outbox
    this.correlationId = correlationId
  }

  /** Runs `work` in a transaction; events added meanwhile commit with it, in one INSERT. */
  async transaction<T> (work: (tx: OutboxTransaction, outbox: TransactionOutbox) => Promise<T>): Promise<T> {
    return await this.#outbox.transaction(async (tx, outbox) => {
      this.#open.push(outbox)
      try {
        return await work(tx, outbox)
      } finally {
        this.#open.splice(this.#open.indexOf(outbox), 1)
      }
    }, { correlationId: this.correlationId })
  }

  /** Inside `transaction()`: buffers the event for its commit and returns the envelope. */
  add<P> (event: DomainEvent<P>, options?: AddEventOptions): MessageEnvelope<P>
  /** In your own Drizzle transaction: inserts the event in it now. */
  add<P> (event: DomainEvent<P>, options: InTransactionAddOptions): Promise<MessageEnvelope<P>>
  /** On its own transaction, on purpose. */
  add<P> (event: DomainEvent<P>, options: StandaloneAddOptions): Promise<MessageEnvelope<P>>
  add<P> (event: DomainEvent<P>, options: AddEventOptions | InTransactionAddOptions | StandaloneAddOptions = {}): MessageEnvelope<P> | Promise<MessageEnvelope<P>> {
    if ('tx' in options || 'standalone' in options) {
      return this.#outbox.add(event, { correlationId: this.correlationId, ...options } as InTransactionAddOptions | StandaloneAddOptions)
    }
    if (this.#open.length === 0) throw new NoTransactionError(describeEvent(event))
    if (this.#open.length > 1) throw new AmbiguousTransactionError(describeEvent(event), this.#open.length)
    return this.#open[0]!.add(event, options)
  }
}
