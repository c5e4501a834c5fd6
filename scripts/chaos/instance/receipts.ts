import { openSync, writeSync } from 'node:fs'
import type { Delivery, MessageEnvelope } from 'fastify-outbox'
import { POSITION_HEADER } from '../positions.js'

/** One delivery as a consumer received it: a line of a receipts file. */
export interface Receipt {
  /** The instance (a, b…) and its process. */
  readonly instance: string
  readonly pid: number
  readonly subscription: string
  readonly eventType: string
  readonly eventId: string
  readonly key: string | null
  /** The event's place in its key's sequence on its topic (scripts/chaos/positions.ts); null when it has none. */
  readonly position: number | null
  readonly redeliveryCount: number
  /** Wall-clock milliseconds with a fraction: the processes of the run share one clock. */
  readonly at: number
}

/**
 * The record of what the consumers received, kept apart from the database under test: one JSON
 * line per delivery, appended with a synchronous write before the handler runs, so a kill -9
 * loses none of the lines written before it.
 */
export class ReceiptLog {
  readonly #fd: number
  readonly #instance: string

  constructor (file: string, instance: string) {
    this.#fd = openSync(file, 'a')
    this.#instance = instance
  }

  record (envelope: MessageEnvelope, delivery: Delivery): void {
    const position = envelope.headers[POSITION_HEADER]
    const receipt: Receipt = {
      instance: this.#instance,
      pid: process.pid,
      subscription: delivery.subscription,
      eventType: envelope.eventType,
      eventId: envelope.eventId,
      key: envelope.partitionKey,
      position: position === undefined ? null : Number(position),
      redeliveryCount: delivery.redeliveryCount,
      at: performance.timeOrigin + performance.now()
    }
    writeSync(this.#fd, JSON.stringify(receipt) + '\n')
  }
}
