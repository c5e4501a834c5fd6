import { DatabaseUnavailableError } from '../errors.js'

/** Driver error codes users meet when a database is not where they said, with what to do. */
const advice: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there. Is the server up, and are the host and port in DATABASE_URL right?',
  ENOTFOUND: 'the host name does not resolve. Check the host in DATABASE_URL',
  ETIMEDOUT: 'the connection timed out. Is the host reachable from here (firewall, network)?',
  CONNECT_TIMEOUT: 'the connection timed out. Is the host reachable from here (firewall, network)?',
  '28P01': 'the password was refused. Check the user and password in DATABASE_URL',
  '28000': 'the server refused this user. Check the user in DATABASE_URL and pg_hba.conf',
  '3D000': 'that database does not exist. Create it (createdb) or fix its name in DATABASE_URL',
  '57P03': 'the server is starting up or shutting down. Try again in a moment'
}

/** Wraps a connection-level failure in DatabaseUnavailableError with advice; other errors pass through. */
export function explainDatabaseError (err: unknown, where: string): unknown {
  const code = (err as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || !(code in advice)) return err
  const wrapped = new DatabaseUnavailableError(where, `${code}: ${advice[code]!}`)
  wrapped.cause = err
  return wrapped
}

/**
 * Driver and server codes that say the database is unreachable or going away, not that the work
 * was wrong: postgres-js's connection codes, the socket's, SQLSTATE class 08 (connection
 * exception), 57P01–57P03 (shutdown, crash, starting up) and 53300 (too many connections).
 */
const outageCodes = new Set([
  'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT',
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  '57P01', '57P02', '57P03', '53300', 'OUTBOX_DATABASE_UNAVAILABLE'
])

/**
 * True when `err` (or an error it wraps as `cause`, as Drizzle does) says the database cannot be
 * reached right now. Work that failed this way should be retried when it is back, not given up on.
 */
export function isDatabaseOutage (err: unknown): boolean {
  let current: unknown = err
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { code, message } = current as { code?: unknown, message?: unknown }
    if (typeof code === 'string') {
      if (outageCodes.has(code) || code.startsWith('08')) return true
      // 55000 is a broad class; only its "not currently accepting connections" means an outage.
      if (code === '55000' && typeof message === 'string' && /not currently accepting connections/.test(message)) return true
    }
    current = (current as { cause?: unknown }).cause
  }
  return false
}
