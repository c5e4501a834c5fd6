import t from 'tap'
import { deliveryContract } from './delivery.js'
import { failureContract } from './failures.js'
import type { BusHarness } from './harness.js'

export type { BusHarness, ContractBusOptions, DeadLetterSeen, DeadLetterView, OutageBroker } from './harness.js'

/**
 * The contract every MessageBus keeps, run against one transport: publish and subscribe,
 * several handlers, shared topics, unsubscribe, start and stop, per-key order, redelivery with a
 * count, dead letters with the reason, foreign bytes, a consumer that goes away, a graceful stop,
 * a broker outage. Each transport's `*-contract.test.ts` calls it with its harness.
 */
export function busContract (harness: BusHarness): void {
  // Stopping and starting a broker of its own (twice on a busy machine) outlasts tap's default.
  if (typeof harness.outage !== 'string') t.setTimeout(900_000)
  t.test(`the ${harness.name} bus keeps the bus contract`, async (t) => {
    deliveryContract(t, harness)
    failureContract(t, harness)
  })
}
