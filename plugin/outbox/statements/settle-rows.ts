import { sql } from 'drizzle-orm'
import { idArray } from './id-list.js'
import type { OutboxDatabase } from '../../database/database.js'
import type { OutboxTable } from '../tables.js'
import type { BackoffOptions } from '../../time/backoff.js'

export async function markPublished (db: OutboxDatabase, table: OutboxTable, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return
  await db.execute(sql`update ${table} set status = 'published', published_at = now(), locked_until = null where id = any(${idArray(ids)})`)
}

/** Gives rows back without counting an attempt (not tried, or the transport was down). */
export async function releaseRows (db: OutboxDatabase, table: OutboxTable, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return
  await db.execute(sql`update ${table} set locked_until = null where id = any(${idArray(ids)})`)
}

export interface RetryPolicy {
  /** Attempts before a row is marked failed. */
  maxAttempts: number
  /** The delay before the next attempt: from `initialMs` after the first failure, doubling up to `maxMs`. */
  backoff: BackoffOptions
}

/**
 * Records a failed publish: one more attempt, the error, and the next try after a capped
 * exponential backoff with jitter (half to all of the delay), so many rows that failed
 * together do not retry in lockstep. The row becomes `failed` on its last attempt.
 * The delay is backoffDelay's curve (plugin/time/backoff.ts) written in SQL, so that each row
 * of the update counts from its own attempts.
 */
export async function markAttemptFailed (db: OutboxDatabase, table: OutboxTable, ids: readonly number[], error: string, policy: RetryPolicy): Promise<void> {
  if (ids.length === 0) return
  await db.execute(sql`
    update ${table}
    set attempts = attempts + 1,
        last_error = ${error},
        status = case when attempts + 1 >= ${policy.maxAttempts} then 'failed' else 'pending' end,
        locked_until = null,
        available_at = now() + make_interval(secs =>
          least(${policy.backoff.maxMs}::float8, ${policy.backoff.initialMs}::float8 * power(2, least(attempts, 30))) * (0.5 + random() / 2) / 1000.0)
    where id = any(${idArray(ids)})`)
}

/** A row that can never be published as it is (its content is damaged): failed at once, with why. */
export async function markUnpublishable (db: OutboxDatabase, table: OutboxTable, id: number, reason: string): Promise<void> {
  await db.execute(sql`update ${table} set status = 'failed', attempts = attempts + 1, last_error = ${reason}, locked_until = null where id = ${id}`)
}
