/**
 * Transport outages, as the bus port defines them: errors that say the transport is unreachable
 * or refuses us, not that a message is bad. The projector does not count them against a row's
 * attempts: a broker outage must leave rows pending, however long it lasts, not mark them failed.
 *
 * The core names no transport's codes. Each adapter declares its own (declareOutageCodes, when
 * its module loads), and any bus, one of your own included, can mark an error it throws with
 * `transportOutage: true`.
 */
const outageCodes = new Set<string>(['OUTBOX_BUS_NOT_STARTED', 'OUTBOX_BUS_STOPPED'])

/** Called by a transport adapter: errors with these codes mean its broker cannot be used now. */
export function declareOutageCodes (codes: Iterable<string>): void {
  for (const code of codes) outageCodes.add(code)
}

export function isTransportOutage (err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false
  const { code, transportOutage } = err as { code?: unknown, transportOutage?: unknown }
  return transportOutage === true || (typeof code === 'string' && outageCodes.has(code))
}
