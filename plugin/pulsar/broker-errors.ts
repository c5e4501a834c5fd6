import { PulsarAuthError, PulsarConnectError, PulsarMessageTooLargeError, PulsarSendError, PulsarTopicError } from './errors.js'

export interface FailedSend {
  /** Where we were talking to, for messages (no credentials). */
  readonly url: string
  readonly topic: string
  /** What the message is, for messages: its event id when known. */
  readonly message: string
  readonly size: number
  readonly maxMessageSize: number
}

/**
 * Turns a broker's or client library's error text for a failed send into our typed errors. Both
 * drivers report failures as text (the WebSocket API as `errorMsg`, the native client as its
 * result name), so the words decide: too big → PulsarMessageTooLargeError (bad message, counts as
 * an attempt); timeouts and lost connections → PulsarConnectError, topic or namespace missing →
 * PulsarTopicError, credentials → PulsarAuthError (outages: the outbox keeps the row pending);
 * anything else → PulsarSendError.
 */
export function sendFailure (reason: string, send: FailedSend): Error {
  if (/too ?big|too ?large|MessageTooBig|exceeds? .*max/i.test(reason)) {
    // We checked against maxMessageSize before sending, so the broker's limit here is lower: a
    // topic or namespace policy (Pulsar 4.0 says "Exceed maximum message size").
    const limit = send.size <= send.maxMessageSize ? `${send.size - 1} or fewer` : send.maxMessageSize
    return new PulsarMessageTooLargeError(send.message, send.size, limit)
  }
  if (/TopicNotFound|topic.*(not found|does not exist)|namespace.*(not found|does not exist)|tenant.*(not found|does not exist)/i.test(reason)) {
    return new PulsarTopicError(send.topic, reason)
  }
  if (/AuthenticationError|AuthorizationError|not authori[sz]ed|authentication/i.test(reason)) {
    return new PulsarAuthError(send.url, reason)
  }
  if (/time ?out|timed out|not ?connected|connect|closed|ServiceNotReady|ServiceUnitNotReady|NotConnected|AlreadyClosed|ProducerBlocked|ProducerQueueIsFull|PersistenceError|BrokerPersistenceError|unload/i.test(reason)) {
    return new PulsarConnectError(send.url, `sending to ${send.topic} failed: ${reason}`)
  }
  return new PulsarSendError(send.topic, reason)
}

/**
 * The reason in an HTTP error answer of the broker's web port: the JSON `reason` or `message`,
 * else the title of Jetty's HTML error page, e.g. `Error 404 Failed to create producer/consumer:
 * {"errorMsg":"Namespace not found",...}` (Pulsar 4.0.7), reduced to the broker's errorMsg.
 */
export function httpReason (body: string): string | null {
  try {
    // The admin API answers {"reason": …}; Jetty's JSON error page (seen for a 401 over TLS)
    // {"message": …, "status": …}.
    const answer = JSON.parse(body) as { reason?: unknown, message?: unknown }
    if (typeof answer.reason === 'string') return answer.reason
    if (typeof answer.message === 'string') return answer.message
  } catch {}
  const title = /<title>([^<]*)<\/title>/i.exec(body)?.[1]
  const text = decodeEntities(title ?? (body.trim().startsWith('<') ? '' : body.trim())).replace(/^Error \d+\s*/, '')
  const errorMsg = /"errorMsg"\s*:\s*"([^"]*)"/.exec(text)?.[1]
  const reason = (errorMsg ?? text).slice(0, 300)
  return reason === '' ? null : reason
}

function decodeEntities (text: string): string {
  const named: Record<string, string> = { quot: '"', apos: "'", amp: '&', lt: '<', gt: '>' }
  return text.replace(/&(#\d+|[a-z]+);/g, (entity, name: string) => name.startsWith('#') ? String.fromCharCode(Number(name.slice(1))) : named[name] ?? entity)
}

/** A network error in words: the code says more than Node's message for refused or unknown hosts. */
export function describeNetworkError (err: Error & { code?: string }): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'connection refused (nothing listens on that port)'
    case 'ENOTFOUND': return 'unknown host (DNS lookup failed)'
    case 'EAI_AGAIN': return 'DNS lookup failed (temporary)'
    case 'ETIMEDOUT': return 'connection timed out'
    case 'ECONNRESET': return 'connection reset by the broker'
    case 'EHOSTUNREACH': return 'host unreachable'
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
      return `the broker's TLS certificate is not trusted (${err.code}): give the CA that signed it as tls.trustCertPath (PULSAR_TLS_CERT_PATH)`
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the broker's TLS certificate does not name this host (${err.message}): connect by a name it lists, or set tls.validateHostname false (PULSAR_TLS_VALIDATE_HOSTNAME=false)`
    case 'CERT_HAS_EXPIRED': return 'the broker\'s TLS certificate has expired'
    default: return err.code === undefined ? err.message : `${err.message} (${err.code})`
  }
}
