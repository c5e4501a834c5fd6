import { RedisAuthError, RedisCommandError, RedisConnectError } from './errors.js'

/** Replies of a server that cannot take commands now (loading, out of memory, a replica, busy): outages, not bad messages. */
const UNAVAILABLE_REPLIES = /^(LOADING|OOM|READONLY|MASTERDOWN|BUSY|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/
const REFUSED_REPLIES = /^(NOAUTH|WRONGPASS|NOPERM)\b/
/** What ioredis says when there is no usable connection. */
const CLIENT_DISCONNECTED = /Connection is closed|Stream isn't writeable|Command timed out|connect ETIMEDOUT|Reached the max retries|no answer within/
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ECONNABORTED'])

/**
 * Turns an error of ioredis (or a reply error of the server) into our typed errors: no
 * connection, timeouts and a server that cannot take writes → RedisConnectError; refused
 * credentials or ACLs → RedisAuthError (both outages: the outbox keeps the row pending);
 * anything else → RedisCommandError.
 */
export function clientFailure (err: unknown, url: string, what: string): Error {
  const { message, code } = err as { message?: string, code?: string }
  const text = String(message ?? err)
  if (REFUSED_REPLIES.test(text)) return new RedisAuthError(url, text)
  // ioredis's words for "no connection now" say how it is configured, not what happened.
  if (/Stream isn't writeable|Connection is closed/.test(text)) return new RedisConnectError(url, 'no connection to the server (the client keeps reconnecting)')
  if (UNAVAILABLE_REPLIES.test(text) || CLIENT_DISCONNECTED.test(text) || NETWORK_CODES.has(code ?? '')) return new RedisConnectError(url, text)
  return new RedisCommandError(what, text)
}

/** True for the server's answer that a consumer group (or its stream) does not exist: the data went away (a server restarted without persistence). */
export function isNoGroup (err: unknown): boolean {
  return /^NOGROUP\b/.test(String((err as { message?: string })?.message ?? ''))
}
