import type { OutboxDatabase } from '../database/database.js'

/**
 * Whether a transaction's outbox INSERT may be sent without waiting for its answer, so that it
 * travels with COMMIT (one round trip less per transaction).
 *
 * Only on postgres-js, whose transaction runs its statements in order on one connection, in a
 * queue fed as they are issued: the INSERT, handed over before the callback returns, is ahead of
 * the COMMIT the driver sends after it. Elsewhere the INSERT is awaited as before.
 */
export function canPipelineCommit (db: OutboxDatabase): boolean {
  const client = (db as { $client?: unknown }).$client
  return typeof client === 'function' && typeof (client as { begin?: unknown }).begin === 'function' &&
    typeof (client as { reserve?: unknown }).reserve === 'function'
}

/**
 * Resolves once everything already issued has been handed to the driver: the INSERT's way from
 * Drizzle to the connection's queue is a chain of promise jobs, all run before a setImmediate
 * callback. postgres-js's own write flush is also a setImmediate, queued after this one, so the
 * INSERT and the COMMIT usually leave in a single write.
 */
export async function handedToDriver (): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve))
}
