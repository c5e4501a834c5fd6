import type { Test } from 'tap'
import type { MessageBus } from '../../../support/library.js'

/**
 * What the bus contract needs from one transport: how to make its buses, how to reach around
 * them (foreign bytes on a topic, the dead letters a subscription parked) and a broker of the
 * test's own to take away. Each transport's contract test file fills one in and calls
 * busContract(harness).
 */
export interface BusHarness {
  /** The bus's `kind`, in test names. */
  readonly name: string
  /** Why the suite cannot run here (asked to skip), or false. */
  readonly skip: string | false
  /**
   * A new bus, not started, on the transport under test; the suite stops it when the test ends.
   * Its short retry delay and drain timeout keep the suite quick.
   */
  newBus (t: Test, options: ContractBusOptions): MessageBus
  /** Puts bytes on a topic (short name) as a foreign producer would. */
  publishRaw (t: Test, bus: MessageBus, topic: string, bytes: Buffer, key: string | null): Promise<void>
  /** What a subscription of `bus` parked from `topic` (short name) so far, oldest first. */
  deadLetters (t: Test, bus: MessageBus, topic: string, subscription: string): Promise<DeadLetterView>
  /**
   * A broker of the test's own, running, destroyed when the test ends; or why the transport has
   * none to take away (the in-memory bus).
   */
  readonly outage: ((t: Test) => Promise<OutageBroker>) | string
}

export interface ContractBusOptions {
  readonly source: string
  readonly maxRedeliveries?: number
  readonly drainTimeoutMs?: number
}

/** Dead letters as the transport keeps them, read back: the reason and the original bytes. */
export interface DeadLetterView {
  /** Resolves with the first `count` dead letters once that many are parked; rejects naming `what` after a timeout. */
  take (count: number, what: string): Promise<DeadLetterSeen[]>
}

export interface DeadLetterSeen {
  readonly reason: string
  readonly bytes: Buffer
}

/** A broker that a test may stop and start again on the same data. */
export interface OutageBroker {
  newBus (t: Test, options: ContractBusOptions): MessageBus
  /** Stops the broker, its data kept. */
  stop (): Promise<void>
  /** Starts it again on the same data; resolves once it answers. */
  start (): Promise<void>
}
