import { setTimeout as delay } from 'node:timers/promises'

/** Resolves after `ms` with true, or early with false when the signal aborts (the run stops). */
export async function abortableDelay (ms: number, signal: AbortSignal): Promise<boolean> {
  return await delay(ms, true, { signal }).catch(() => false)
}
