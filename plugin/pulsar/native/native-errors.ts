import { PulsarAuthError, PulsarConnectError, PulsarSubscriptionBusyError, PulsarTopicError } from '../errors.js'

/**
 * The native client rejects with plain Errors whose text ends in the C++ client's result name
 * (`Failed to create producer: AuthenticationError`, `…: TopicNotFound`, `…: ConnectError`,
 * `…: TimeOut`). Turns a failed connect, producer creation or subscribe into our typed errors.
 * Unknown results count as an outage: creation failures are mostly a broker starting or moving a
 * topic, and the outbox must then keep its rows pending.
 */
export function nativeOpenFailure (err: unknown, url: string, topic: string, subscription?: string): Error {
  const reason = err instanceof Error ? err.message : String(err)
  if (/AuthenticationError|AuthorizationError|Unauthorized|Forbidden/i.test(reason)) return new PulsarAuthError(url, reason)
  if (/TopicNotFound|NotFound|TopicNotExists/i.test(reason)) return new PulsarTopicError(topic, reason)
  if (/ConsumerBusy|ProducerBusy/i.test(reason)) return new PulsarSubscriptionBusyError(subscription ?? '(producer)', topic, reason)
  return new PulsarConnectError(url, reason)
}
