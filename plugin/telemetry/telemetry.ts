import type { MessageEnvelope } from '../envelope/envelope.js'

/** How a delivery's handlers ended. */
export type HandlerOutcome = 'success' | 'retry' | 'dead_letter'

/** One delivery whose handlers ran. */
export interface HandlerReport {
  readonly envelope: MessageEnvelope
  readonly topic: string
  readonly subscription: string
  readonly durationMs: number
  readonly outcome: HandlerOutcome
}

/** A message given up on: its handlers kept failing, or it could not be decoded or validated. */
export interface DeadLetterReport {
  /** Null when the bytes did not decode. */
  readonly eventType: string | null
  readonly topic: string
  readonly subscription: string
  readonly reason: string
}

/** A row of a relayed batch, as telemetry needs it. */
export interface RelayedRow {
  readonly eventType: string
  /** When the event was added, just before its transaction committed. */
  readonly occurredAt: string | Date
}

/** One claimed batch, published and settled. */
export interface RelayedBatch {
  /** From the start of publishing to the last confirmation or failure. */
  readonly durationMs: number
  readonly published: readonly RelayedRow[]
  /** Publishes that failed (each will be retried, or marked failed after its last attempt). */
  readonly failed: readonly RelayedRow[]
  /** Rows that can never be published (damaged), marked failed at once. */
  readonly unpublishable: readonly RelayedRow[]
}

/** A redelivery the inbox recognised and acknowledged without running the handler. */
export interface DuplicateReport {
  readonly eventType: string
  readonly consumer: string
}

/**
 * What the library reports as it works, for metrics and other instruments. Every method is
 * optional; an observer must not throw (a throw is caught and ignored: instruments never get
 * in the way of messaging).
 */
export interface TelemetryObserver {
  handled? (report: HandlerReport): void
  deadLettered? (report: DeadLetterReport): void
  relayed? (report: RelayedBatch): void
  duplicateAbsorbed? (report: DuplicateReport): void
  /** A projector round that failed as a whole (database or broker down). */
  projectorRoundFailed? (error: Error): void
}

/** The observers of one bus, projector or inbox; reports fan out to each. */
export class Telemetry {
  readonly #observers = new Set<TelemetryObserver>()

  /** Adds an observer; returns a function that removes it. */
  observe (observer: TelemetryObserver): () => void {
    this.#observers.add(observer)
    return () => { this.#observers.delete(observer) }
  }

  handled (report: HandlerReport): void { this.#emit('handled', report) }
  deadLettered (report: DeadLetterReport): void { this.#emit('deadLettered', report) }
  relayed (report: RelayedBatch): void { this.#emit('relayed', report) }
  duplicateAbsorbed (report: DuplicateReport): void { this.#emit('duplicateAbsorbed', report) }
  projectorRoundFailed (error: Error): void { this.#emit('projectorRoundFailed', error) }

  #emit<K extends keyof TelemetryObserver> (name: K, report: Parameters<NonNullable<TelemetryObserver[K]>>[0]): void {
    for (const observer of this.#observers) {
      try {
        (observer[name] as ((r: typeof report) => void) | undefined)?.call(observer, report)
      } catch {
        // An instrument's failure is its own; messaging goes on.
      }
    }
  }
}
