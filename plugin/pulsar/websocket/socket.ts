import type { IncomingMessage } from 'node:http'
import WebSocket from 'ws'
import { describeNetworkError, httpReason } from '../broker-errors.js'
import { redactUrl } from '../service-url.js'
import type { ClientTlsOptions } from '../tls.js'
import { PulsarAuthError, PulsarConfigError, PulsarConnectError, PulsarSubscriptionBusyError, PulsarTopicError } from '../errors.js'

export interface SocketTarget {
  /** Full URL with query string (parameters only: the token travels in a header). */
  readonly url: string
  readonly topic: string
  readonly subscription?: string
  readonly token: string | null
  readonly tls: ClientTlsOptions | null
  readonly timeoutMs: number
}

/**
 * Opens one WebSocket to the broker's WebSocket API, hands it to `attach` as soon as it is open,
 * and resolves once the broker has created the producer or consumer behind it (the proxy does that before it accepts the upgrade, so a refusal
 * arrives as the HTTP answer to the upgrade). Failures become our typed errors:
 * nothing listening → PulsarConnectError; 401/403 → PulsarAuthError; 404 or a missing
 * tenant/namespace → PulsarTopicError; 409 → PulsarSubscriptionBusyError; 400 → PulsarConfigError.
 */
export function openSocket (target: SocketTarget, attach: (socket: WebSocket) => void): Promise<WebSocket> {
  const where = redactUrl(target.url)
  const base = where.replace(/\/ws\/v2\/.*$/, '')
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(target.url, {
      handshakeTimeout: target.timeoutMs,
      // The proxy accepts the token as `Authorization: Bearer` on the upgrade request (verified
      // on Pulsar 4.0); a header keeps it out of URLs, which proxies and access logs record.
      headers: target.token === null ? {} : { authorization: `Bearer ${target.token}` },
      // Pulsar frames are JSON text with base64 payloads; compression would cost CPU for little.
      perMessageDeflate: false,
      ...(target.tls ?? {})
    })
    let settled = false
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      socket.removeAllListeners()
      socket.on('error', () => {})
      socket.terminate()
      reject(err)
    }
    socket.once('open', () => {
      if (settled) return
      settled = true
      socket.removeAllListeners()
      // Listeners go on now, not when the promise resolves: the proxy may push a message in the
      // same TCP segment as its upgrade answer, and `ws` emits it before our await resumes
      // (seen on Pulsar 4.0.7: a redelivered message was lost that way).
      attach(socket)
      resolve(socket)
    })
    socket.once('unexpected-response', (_req, res) => {
      readBody(res).then((body) => fail(upgradeRefused(target, base, res.statusCode ?? 0, httpReason(body) ?? res.statusMessage ?? '')), fail)
    })
    socket.once('error', (err: Error & { code?: string }) => {
      const reason = /handshake has timed out/.test(err.message) ? `no answer within ${target.timeoutMs} ms` : describeNetworkError(err)
      fail(new PulsarConnectError(base, reason))
    })
  })
}

function upgradeRefused (target: SocketTarget, base: string, status: number, message: string): Error {
  const reason = `HTTP ${status}${message === '' ? '' : ` ${message}`}`
  switch (status) {
    case 401:
    case 403:
      return new PulsarAuthError(base, `${target.subscription === undefined ? 'producing to' : 'consuming from'} ${target.topic}: ${reason}`)
    case 404:
      return new PulsarTopicError(target.topic, reason)
    case 409:
      if (target.subscription !== undefined) return new PulsarSubscriptionBusyError(target.subscription, target.topic, reason)
      // A producer name already connected: another instance configured with the same
      // producerName, or our previous connection the broker has not dropped yet (retried).
      return new PulsarConnectError(base, `the producer name for ${target.topic} is already connected (${reason}): give each process its own producerName`)
    case 400:
      return new PulsarConfigError(`the broker refused the WebSocket request for ${target.topic}: ${reason}`)
    default:
      if (/not found|does not exist|doesn't exist|TopicDoesNotExist/i.test(message)) return new PulsarTopicError(target.topic, reason)
      if (/authoriz|authenticat/i.test(message)) return new PulsarAuthError(base, reason)
      // 5xx while a broker starts, unloads a topic or loses its bookie: an outage, retried later.
      return new PulsarConnectError(base, `the WebSocket API could not open ${target.topic}: ${reason}`)
  }
}

function readBody (res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    res.on('data', (chunk: Buffer) => { if (chunks.length < 16) chunks.push(chunk) })
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')))
  })
}

/**
 * Pings the broker every `intervalMs` and ends the socket when a pong is missing by the next ping.
 * Two reasons: the proxy closes sessions idle for webSocketSessionIdleTimeoutMillis (5 min by
 * default), and a broker that vanished without a FIN (a crashed host, a dropped NAT entry) would
 * otherwise leave us waiting on a dead socket for the kernel's ~2 h keepalive.
 */
export function keepAlive (socket: WebSocket, intervalMs: number): () => void {
  let answered = true
  const onPong = (): void => { answered = true }
  socket.on('pong', onPong)
  const timer = setInterval(() => {
    if (!answered) {
      socket.terminate()
      return
    }
    answered = false
    socket.ping()
  }, intervalMs)
  timer.unref()
  return () => {
    clearInterval(timer)
    socket.off('pong', onPong)
  }
}

/** Closes a socket politely, then hard after `timeoutMs`; resolves once it is closed. */
export function closeSocket (socket: WebSocket, timeoutMs: number): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.terminate(), timeoutMs)
    socket.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
    if (socket.readyState === WebSocket.OPEN) socket.close(1000, 'client closing')
    else if (socket.readyState !== WebSocket.CLOSING) socket.terminate()
  })
}

const corked = new WeakSet<object>()

/**
 * Holds the socket's writes until the current tick's work is done, so that the frames of many
 * sends made together (a projector's batch) leave in one write instead of one system call each:
 * ws writes every frame on its own, and those writes were a large share of the projector's CPU profile
 * (BENCHMARKS.md, "Relay vs raw producer").
 * `_socket` is ws's own field for the TCP or TLS socket; without it, frames go one by one.
 */
export function corkUntilNextTick (socket: WebSocket): void {
  const raw = (socket as unknown as { _socket?: { cork?: () => void, uncork?: () => void } | null })._socket
  if (raw === undefined || raw === null || typeof raw.cork !== 'function' || typeof raw.uncork !== 'function' || corked.has(raw)) return
  corked.add(raw)
  raw.cork()
  process.nextTick(() => {
    corked.delete(raw)
    raw.uncork!()
  })
}
