/**
 * The one backoff curve: the delay before attempt `attempt + 1` (a reconnect, a retry after a
 * failed round or handler) grows exponentially from `initialMs`, capped at `maxMs`, with jitter
 * (a random delay between half and all of the step) so that the many consumers of a restarted
 * broker, or many rows that failed together, do not all try again at the same instant.
 */
export interface BackoffOptions {
  readonly initialMs: number
  readonly maxMs: number
}

/** 100 ms, then 200, 400 … up to 30 s: the first retry is quick (a topic unload takes ~100 ms), a long outage costs one attempt per ~30 s per connection. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 30_000 }

export function backoffDelay (attempt: number, options: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const step = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(Math.max(attempt, 0), 30))
  return Math.round(step / 2 + random() * (step / 2))
}
