import { StartTimeoutError } from '../errors.js'
import { withTimeout } from '../time/time-limits.js'

/** One component the plugin starts in onReady, and what to check when it hangs. */
export interface StartStep {
  /** Names the component in the error, e.g. "the pulsar bus". */
  readonly what: string
  /** What the user checks when it does not start in time. */
  readonly fix: string
  readonly start: () => Promise<void> | void
}

/**
 * Time left for the plugin's own start out of Fastify's pluginTimeout (0: no limit), less a margin
 * so that ours is the error the app reports: Fastify's own says only that a hook timed out.
 */
function startBudgetMs (pluginTimeoutMs: number): number | null {
  if (!Number.isFinite(pluginTimeoutMs) || pluginTimeoutMs <= 0) return null
  return Math.max(1, pluginTimeoutMs - Math.min(1000, Math.ceil(pluginTimeoutMs / 10)))
}

/**
 * Starts the steps in order within one budget taken from Fastify's pluginTimeout. A step still
 * running when the budget ends rejects the start with StartTimeoutError naming it and what to
 * check; the step carries on and is stopped by the app's close as usual.
 */
export async function startWithin (steps: readonly StartStep[], pluginTimeoutMs: number): Promise<void> {
  const budgetMs = startBudgetMs(pluginTimeoutMs)
  const deadline = budgetMs === null ? null : Date.now() + budgetMs
  for (const step of steps) {
    const started = Promise.resolve().then(step.start)
    if (deadline === null) await started
    else await withTimeout(started, Math.max(1, deadline - Date.now()), () => new StartTimeoutError(step.what, `${budgetMs} ms, and Fastify ends onReady hooks after its pluginTimeout (${pluginTimeoutMs} ms)`, step.fix))
  }
}
