import { NatsAuthError, NatsConnectError, NatsJetStreamDisabledError, NatsPublishError } from './errors.js'

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'])
/** Error classes of the client that mean "no usable connection or no answer now". */
const OUTAGE_ERRORS = new Set(['ConnectionError', 'ClosedConnectionError', 'DrainingConnectionError', 'TimeoutError', 'NoRespondersError', 'RequestError'])

/**
 * Turns an error of the NATS client into our typed errors: no connection, timeouts, no
 * responder (JetStream down or electing a leader) → NatsConnectError; refused credentials or
 * permissions → NatsAuthError (both outages: the outbox keeps the row pending); JetStream not
 * enabled → NatsJetStreamDisabledError; anything else → NatsPublishError.
 */
export function clientFailure (err: unknown, servers: string, subject: string): Error {
  const { name, message, code } = err as { name?: string, message?: string, code?: string }
  const text = describe(err)
  if (name === 'AuthorizationError' || name === 'PermissionViolationError' || name === 'UserAuthenticationExpiredError' || /Authorization Violation|permissions violation/i.test(text)) {
    return new NatsAuthError(servers, text)
  }
  if (name === 'JetStreamNotEnabled' || /jetstream not enabled/i.test(text)) return new NatsJetStreamDisabledError(servers, text)
  if (OUTAGE_ERRORS.has(name ?? '') || NETWORK_CODES.has(code ?? '') || /timeout|no responders|disconnect|connection (is )?closed|CONNECTION_REFUSED|temporarily unavailable/i.test(String(message))) {
    return new NatsConnectError(servers, text)
  }
  return new NatsPublishError(subject, text)
}

/** The message of a client error with its causes, for logs and our errors' messages. */
export function describe (err: unknown): string {
  const parts: string[] = []
  let current: unknown = err
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth++) {
    const message = (current as { message?: unknown }).message
    if (typeof message === 'string' && message !== '' && !parts.includes(message)) parts.push(message)
    current = (current as { cause?: unknown }).cause
  }
  return parts.length === 0 ? String(err) : parts.join(': ')
}
