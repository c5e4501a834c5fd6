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
