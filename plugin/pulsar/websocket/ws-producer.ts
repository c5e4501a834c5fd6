import type WebSocket from 'ws'
import { abortableDelay } from '../../time/abortable-delay.js'
import { backoffDelay, type BackoffOptions } from '../../time/backoff.js'
import { sendFailure } from '../broker-errors.js'
import type { OutgoingMessage, PulsarProducer } from '../driver.js'
import { redactUrl } from '../service-url.js'
import { closeSocket, corkUntilNextTick, keepAlive, openSocket, type SocketTarget } from './socket.js'
import { SendWindow } from './send-window.js'
import { BusStoppedError } from '../../errors.js'
import { PulsarConnectError, PulsarMessageTooLargeError } from '../errors.js'
import type { OutboxLogger } from '../../logger.js'

export interface WebSocketProducerOptions {
  readonly target: SocketTarget
  readonly sendTimeoutMs: number
  readonly maxPendingMessages: number
  /** Largest payload we send (the broker's maxMessageSize). */
  readonly maxMessageSize: number
  /** Largest text frame the proxy reads (webSocketMaxTextFrameSize); a bigger one closes the socket. */
  readonly maxFrameSize: number
  readonly backoff: BackoffOptions
  readonly keepAliveMs: number
  readonly logger: OutboxLogger
}

interface PendingSend {
  readonly resolve: (messageId: string) => void
  readonly reject: (err: Error) => void
  readonly describe: { message: string, size: number }
}

interface ProducerReceipt {
  result?: string
  messageId?: string
  context?: string
  errorMsg?: string
}

/**
 * A producer over one WebSocket. Sends are pipelined: each frame carries a `context` the broker
 * echoes in its receipt, so up to maxPendingMessages sends are in flight and each resolves with
 * its own receipt, in whatever order receipts come.
 *
 * Reconnecting is lazy: when the socket drops, the sends in flight fail at once with
 * PulsarConnectError (their fate is unknown; the caller retries, consumers dedupe by event id),
 * and the next send reconnects. After failed attempts a send waits for the backoff when the wait
 * fits in the send timeout, else fails fast: during a long outage the projector learns it in
 * microseconds instead of holding its batch for the timeout.
 */
export class WebSocketProducer implements PulsarProducer {
  readonly topic: string
  readonly #options: WebSocketProducerOptions
  readonly #window: SendWindow
  readonly #pending = new Map<string, PendingSend>()
  #socket: WebSocket | null = null
  #opening: Promise<WebSocket> | null = null
  #stopKeepAlive: () => void = () => {}
  #nextContext = 0
  #failures = 0
  #retryAt = 0
  #lastError: Error | null = null
  /** Aborted by close(): no more sends, a reconnect wait is cut short. */
  readonly #closing = new AbortController()
  #onDrained: (() => void) | null = null

  constructor (topic: string, options: WebSocketProducerOptions) {
    this.topic = topic
    this.#options = options
    this.#window = new SendWindow(options.maxPendingMessages)
  }

  /** Opens the first connection: the broker's refusal (auth, topic) surfaces at creation. */
  async open (): Promise<void> {
    await this.#connected()
  }

  async send (message: OutgoingMessage): Promise<string> {
    if (this.#closing.signal.aborted) throw new BusStoppedError('pulsar', `send to ${this.topic}: its producer is closed`)
    const what = message.properties.event_id ?? `for ${this.topic}`
    // Both limits are checked here because the broker's answers are poor: an oversized frame
    // makes the proxy close the socket (failing every send in flight), not reject one message.
    // A frame is JSON with the payload in base64 (4 bytes per 3), so the frame limit (1 MiB by
    // default) caps payloads near 786 KB, well below the broker's 5 MiB.
    const { maxMessageSize, maxFrameSize } = this.#options
    if (message.bytes.byteLength > maxMessageSize) throw new PulsarMessageTooLargeError(what, message.bytes.byteLength, maxMessageSize)
    const frame: Record<string, unknown> = { payload: '', properties: message.properties, context: '' }
    if (message.key !== null) frame.key = message.key
    const frameLimit = Math.floor((maxFrameSize - Buffer.byteLength(JSON.stringify(frame)) - 24) * 3 / 4)
    if (message.bytes.byteLength > frameLimit) {
      throw new PulsarMessageTooLargeError(`${what} (base64 in a WebSocket frame of at most ${maxFrameSize} bytes, the broker's webSocketMaxTextFrameSize)`, message.bytes.byteLength, frameLimit)
    }
    frame.payload = Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength).toString('base64')

    const started = Date.now()
    await this.#window.acquire(this.#options.sendTimeoutMs, () => new PulsarConnectError(this.#where(),
      `${this.#window.inFlight} sends to ${this.topic} still without a receipt after ${this.#options.sendTimeoutMs} ms (maxPendingMessages): the message was not sent; send it again`))
    try {
      const socket = await this.#connected()
      return await this.#transmit(socket, frame, { message: what, size: message.bytes.byteLength }, started)
    } finally {
      this.#window.release()
    }
  }

  async close (): Promise<void> {
    if (this.#closing.signal.aborted) return
    this.#closing.abort()
    // Let sends in flight get their receipts (each is bounded by its own timeout).
    if (this.#pending.size > 0) await new Promise<void>((resolve) => { this.#onDrained = resolve })
    await this.#opening?.catch(() => {})
    const socket = this.#socket
    this.#socket = null
    if (socket !== null) await closeSocket(socket, 1000)
  }

  #transmit (socket: WebSocket, frame: Record<string, unknown>, describe: PendingSend['describe'], started: number): Promise<string> {
    const context = String(++this.#nextContext)
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#take(context)
        reject(this.#timeout(started))
      }, Math.max(1, this.#options.sendTimeoutMs - (Date.now() - started)))
      const settle = { resolve: (id: string) => { clearTimeout(timer); resolve(id) }, reject: (err: Error) => { clearTimeout(timer); reject(err) }, describe }
      this.#pending.set(context, settle)
      corkUntilNextTick(socket)
      socket.send(JSON.stringify({ ...frame, context }), (err) => {
        if (err === undefined || err === null || this.#take(context) === undefined) return
        settle.reject(new PulsarConnectError(this.#where(), `writing to the socket failed: ${err.message}`))
      })
    })
  }

  #onReceipt (data: WebSocket.RawData): void {
    let receipt: ProducerReceipt
    try {
      receipt = JSON.parse(data.toString()) as ProducerReceipt
    } catch {
      this.#options.logger.warn({ topic: this.topic }, 'Pulsar WebSocket producer got a frame that is not JSON; ignored')
      return
    }
    const pending = receipt.context === undefined ? undefined : this.#take(receipt.context)
    if (pending === undefined) return
    if (receipt.result === 'ok' && typeof receipt.messageId === 'string') pending.resolve(receipt.messageId)
    else {
      const reason = `${receipt.result ?? 'no result'}: ${receipt.errorMsg ?? 'no reason given'}`
      pending.reject(sendFailure(reason, { url: this.#where(), topic: this.topic, ...pending.describe, maxMessageSize: this.#options.maxMessageSize }))
    }
  }

  #connected (): Promise<WebSocket> {
    if (this.#socket !== null) return Promise.resolve(this.#socket)
    if (this.#opening !== null) return this.#opening
    const wait = this.#retryAt - Date.now()
    // Fail fast while the backoff is longer than a send may wait: the broker is known to be away.
    if (wait > this.#options.sendTimeoutMs && this.#lastError !== null) return Promise.reject(this.#lastError)
    this.#opening = (async () => {
      if (wait > 0) await abortableDelay(wait, this.#closing.signal)
      if (this.#closing.signal.aborted) throw new BusStoppedError('pulsar', `send to ${this.topic}: its producer is closed`)
      try {
        const socket = await openSocket(this.#options.target, (socket) => this.#attach(socket))
        this.#failures = 0
        this.#lastError = null
        return socket
      } catch (err) {
        this.#retryAt = Date.now() + backoffDelay(this.#failures++, this.#options.backoff)
        this.#lastError = err as Error
        throw err
      }
    })().finally(() => { this.#opening = null })
    return this.#opening
  }

  #attach (socket: WebSocket): void {
    this.#socket = socket
    this.#stopKeepAlive = keepAlive(socket, this.#options.keepAliveMs)
    socket.on('message', (data) => this.#onReceipt(data))
    socket.on('error', (err) => this.#options.logger.warn({ topic: this.topic, err }, 'Pulsar WebSocket producer socket error'))
    socket.once('close', (code, reason) => {
      this.#stopKeepAlive()
      if (this.#socket === socket) this.#socket = null
      const why = `connection closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ''})`
      if (!this.#closing.signal.aborted) this.#options.logger.warn({ topic: this.topic, code, inFlight: this.#pending.size }, `Pulsar WebSocket producer ${why}; the next send reconnects`)
      for (const context of [...this.#pending.keys()]) {
        this.#take(context)?.reject(new PulsarConnectError(this.#where(), `${why} with the message in flight: it may or may not be stored; send it again`))
      }
    })
  }

  /** Removes a send from the table; the last one out wakes close(). */
  #take (context: string): PendingSend | undefined {
    const pending = this.#pending.get(context)
    this.#pending.delete(context)
    if (this.#pending.size === 0 && this.#onDrained !== null) {
      this.#onDrained()
      this.#onDrained = null
    }
    return pending
  }

  #timeout (started: number): Error {
    return new PulsarConnectError(this.#where(), `no receipt for a message to ${this.topic} within ${Date.now() - started} ms (sendTimeoutMs ${this.#options.sendTimeoutMs}): it may or may not be stored; send it again`)
  }

  #where (): string {
    return redactUrl(this.#options.target.url).replace(/\/ws\/v2\/.*$/, '')
  }
}
