import { KafkaAuthError, KafkaConnectError, KafkaMessageTooLargeError, KafkaSendError, KafkaTopicError } from './errors.js'

/** What a failed client call was about, for the typed error's message. */
export interface FailedCall {
  /** The brokers we were talking to (no credentials). */
  readonly brokers: string
  readonly topic: string
  /** The message, for messages: its event id when known. */
  readonly message: string
  readonly size: number
}

/** The leaves of a client error: the client nests causes in AggregateErrors (MultipleErrors). */
interface Leaf { readonly code: string, readonly apiId: string, readonly canRetry: boolean, readonly message: string }

/**
 * Turns an error of @platformatic/kafka into our typed errors, by the codes and broker error
 * names in its tree: too large → KafkaMessageTooLargeError (the message's fault, counts as an
 * attempt); refused credentials or ACLs → KafkaAuthError, a missing topic → KafkaTopicError,
 * unreachable brokers, timeouts and the broker's retriable answers → KafkaConnectError (all
 * outages: the outbox keeps the row pending); anything else → KafkaSendError.
 */
export function clientFailure (err: unknown, call: FailedCall): Error {
  const leaves = leavesOf(err)
  const reason = describe(leaves)
  const has = (test: (leaf: Leaf) => boolean): boolean => leaves.some(test)
  if (has((l) => l.apiId === 'MESSAGE_TOO_LARGE' || l.apiId === 'RECORD_LIST_TOO_LARGE')) {
    return new KafkaMessageTooLargeError(call.message, call.topic, call.size)
  }
  if (has((l) => l.code === 'PLT_KFK_AUTHENTICATION' || /AUTHORIZATION_FAILED|AUTHENTICATION_FAILED/.test(l.apiId))) {
    return new KafkaAuthError(call.brokers, reason)
  }
  if (has((l) => l.apiId === 'UNKNOWN_TOPIC_OR_PARTITION' || /^Unknown topic /.test(l.message))) {
    return new KafkaTopicError(call.topic, reason)
  }
  if (has((l) => l.code === 'PLT_KFK_NETWORK' || l.code === 'PLT_KFK_TIMEOUT' || l.canRetry || isNetworkCode(l.code) || /Cannot connect to any broker/.test(l.message))) {
    return new KafkaConnectError(call.brokers, reason)
  }
  return new KafkaSendError(call.topic, reason)
}

/** The innermost messages of a client error, for logs and our errors' messages. */
export function describeClientError (err: unknown): string {
  return describe(leavesOf(err))
}

function leavesOf (err: unknown): Leaf[] {
  if (err === null || typeof err !== 'object') return [{ code: '', apiId: '', canRetry: false, message: String(err) }]
  const { errors, cause, code, apiId, canRetry, message } = err as { errors?: unknown[], cause?: unknown, code?: unknown, apiId?: unknown, canRetry?: unknown, message?: unknown }
  const nested = [...(Array.isArray(errors) ? errors : []), ...(cause === undefined ? [] : [cause])]
  const own: Leaf = { code: String(code ?? ''), apiId: String(apiId ?? ''), canRetry: canRetry === true, message: String(message ?? '') }
  return nested.length === 0 ? [own] : [own, ...nested.flatMap(leavesOf)]
}

function describe (leaves: readonly Leaf[]): string {
  // The outermost message says what failed, the innermost ones why; repeats say nothing new.
  const messages = [...new Set(leaves.map((leaf) => leaf.message.replace(/\.$/, '')).filter((m) => m !== ''))]
  return messages.length <= 2 ? messages.join(': ') : `${messages[0]!}: ${messages.slice(-2).join('; ')}`
}

function isNetworkCode (code: string): boolean {
  return ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE'].includes(code)
}
