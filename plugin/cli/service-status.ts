import { CliError, EXIT } from './cli-error.js'
import { formatDuration } from './durations.js'
import type { Output } from './output.js'
import type { OutboxBacklog } from '../outbox/statements/backlog.js'

/**
 * `status` without DATABASE_URL: the backlog as a running service reports it in its `/health`
 * (`outbox: { pending, failed, oldestPendingMs, blockedKeys }`, as the demo does). This is how the
 * CLI reads the demo on its embedded database, which lives inside the demo's process.
 */
export async function statusFromService (serviceUrl: string, out: Output): Promise<number> {
  let health: { outbox?: OutboxBacklog & { blockedKeys?: unknown[] } }
  const url = new URL('/health', serviceUrl).toString()
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(10_000) })
    health = await response.json() as typeof health
  } catch (err) {
    throw new CliError(`Neither DATABASE_URL is set nor does a service answer at ${url} (${(err as Error).message}): set DATABASE_URL to the outbox's database, or OUTBOX_SERVICE_URL to a running service`, EXIT.usage)
  }
  const backlog = health.outbox
  if (backlog === undefined) throw new CliError(`${url} does not report an outbox backlog (no "outbox" in its answer): set DATABASE_URL instead`, EXIT.failed)
  const { pending, failed, oldestPendingMs, blockedKeys = [] } = backlog
  out.result({ pending, failed, oldestPendingMs, blockedKeys, from: url }, () => [
    `pending: ${pending}`, `failed: ${failed}`, `oldest pending: ${formatDuration(oldestPendingMs)}`, `blocked keys: ${blockedKeys.length}`, `(from ${url})`
  ])
  return failed > 0 ? EXIT.attention : EXIT.ok
}
