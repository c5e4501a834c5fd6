import type { ClaimedRow } from './statements/claim-batch.js'
import { rowToEnvelope } from './row-envelope.js'
import type { MessageBus } from '../bus/bus.js'
import type { EventCatalog } from '../events/event-catalog.js'
import { isTransportOutage } from '../bus/outage.js'
import { publishTraced } from '../telemetry/messaging-spans.js'
import { withTimeout } from '../time/time-limits.js'

/** What happened to each row of a claimed batch. */
export interface PublishOutcome {
  /** The batch as claimed, for what is reported about its rows. */
  readonly rows: readonly ClaimedRow[]
  readonly published: number[]
  /** Failed publishes, grouped by error message so each group is settled in one statement. */
  readonly failed: Map<string, number[]>
  readonly unpublishable: Array<{ id: number, reason: string }>
  /** Rows not attempted (their key's earlier row failed, or the transport is down): released untouched. */
  readonly skipped: number[]
  /** Set when the transport is down: the batch stopped early and no attempt was counted. */
  outage: Error | null
  /** From the first publish to the last answer. */
  durationMs: number
}

/**
 * Publishes a batch: rows of one partition key one after another, in id order, so a key's events
 * reach the broker in commit order; different keys (and rows without a key) in parallel, at most
 * `concurrency` at a time. When a row fails, the later rows of its key are skipped, not sent
 * ahead of it.
 */
export interface PublishRowsOptions {
  /** Rows being published at once. */
  concurrency: number
  /**
   * The batch's time budget (what is left of its lease): a publish still unsettled then counts
   * as a failed attempt, and rows not started are given back.
   */
  deadlineMs: number
  /** The lease length, for the error message. */
  leaseMs: number
}

export async function publishRows (rows: readonly ClaimedRow[], bus: MessageBus, catalog: EventCatalog, options: PublishRowsOptions): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { rows, published: [], failed: new Map(), unpublishable: [], skipped: [], outage: null, durationMs: 0 }
  const started = performance.now()
  const chains = chainsByKey(rows)
  let next = 0
  const deadlineAt = started + options.deadlineMs
  const expired = (): boolean => performance.now() >= deadlineAt

  const publishChain = async (chain: ClaimedRow[]): Promise<void> => {
    for (let i = 0; i < chain.length; i++) {
      const row = chain[i]!
      if (outcome.outage !== null || expired()) {
        outcome.skipped.push(...chain.slice(i).map((r) => r.id))
        return
      }
      const built = rowToEnvelope(row, catalog)
      if (!built.ok) {
        outcome.unpublishable.push({ id: row.id, reason: built.reason })
        outcome.skipped.push(...chain.slice(i + 1).map((r) => r.id))
        return
      }
      try {
        await withTimeout(publishTraced(bus.kind, row.topic, built.envelope, async (envelope) => await bus.publish(envelope, { topic: row.topic })),
          Math.max(1, deadlineAt - performance.now()), () => new Error(`publish did not complete within the ${options.leaseMs} ms lease`))
        outcome.published.push(row.id)
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err))
        if (isTransportOutage(error)) {
          outcome.outage ??= error
          outcome.skipped.push(...chain.slice(i).map((r) => r.id))
        } else {
          const ids = outcome.failed.get(error.message)
          if (ids === undefined) outcome.failed.set(error.message, [row.id])
          else ids.push(row.id)
          outcome.skipped.push(...chain.slice(i + 1).map((r) => r.id))
        }
        return
      }
    }
  }

  const worker = async (): Promise<void> => {
    while (next < chains.length) await publishChain(chains[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency, chains.length) }, worker))
  outcome.durationMs = performance.now() - started
  return outcome
}

/** Rows grouped by partition key in id order; each keyless row is a chain of its own. */
function chainsByKey (rows: readonly ClaimedRow[]): ClaimedRow[][] {
  const chains: ClaimedRow[][] = []
  const byKey = new Map<string, ClaimedRow[]>()
  for (const row of rows) {
    if (row.partitionKey === null) {
      chains.push([row])
      continue
    }
    const chain = byKey.get(row.partitionKey)
    if (chain === undefined) {
      const fresh = [row]
      byKey.set(row.partitionKey, fresh)
      chains.push(fresh)
    } else {
      chain.push(row)
    }
  }
  return chains
}
