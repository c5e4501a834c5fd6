import type WebSocket from 'ws'
import { abortableDelay } from '../../time/abortable-delay.js'
import { backoffDelay, type BackoffOptions } from '../../time/backoff.js'
import type { PulsarConsumer, ReceivedMessage } from '../driver.js'
import { closeSocket, keepAlive, openSocket, type SocketTarget } from './socket.js'
import type { OutboxLogger } from '../../logger.js'

export interface WebSocketConsumerOptions {
  readonly target: SocketTarget
  readonly onMessage: (message: ReceivedMessage) => void
  readonly backoff: BackoffOptions
  readonly keepAliveMs: number
  readonly logger: OutboxLogger
}

/** A message as the WebSocket API pushes it. */
interface PushedMessage {
  messageId?: string
  payload?: string
  properties?: Record<string, string>
  publishTime?: string
  redeliveryCount?: number
  key?: string
}

/**
 * A consumer over one WebSocket, in push mode: the proxy pushes up to receiverQueueSize messages
 * and one more after each ack or negative ack. That is all the flow control the bus needs, because
 * it settles every message it is given; pull mode would add a permit round trip per batch for
 * nothing.
 *
 * When the socket drops, the proxy's consumer is gone and the broker gives its unacknowledged
 * messages to other consumers (or to us again): we forget what we were given, ignore settles of
 * those messages, and resubscribe with capped, jittered backoff until close().
 */
export class WebSocketConsumer implements PulsarConsumer {
  readonly #options: WebSocketConsumerOptions
  readonly #stopping = new AbortController()
  /** Ids delivered on the current socket and not yet settled, with how many copies. */
  readonly #outstanding = new Map<string, number>()
  #socket: WebSocket | null = null
  #stopKeepAlive: () => void = () => {}
  #reconnecting: Promise<void> | null = null

  constructor (options: WebSocketConsumerOptions) {
    this.#options = options
  }

  /** Subscribes; the broker's refusal (auth, topic, busy subscription) is thrown from here. */
  async open (): Promise<void> {
    await openSocket(this.#options.target, (socket) => this.#attach(socket))
  }

  async ack (message: ReceivedMessage): Promise<void> {
    await this.#settle(message, { messageId: message.id })
  }

  async nack (message: ReceivedMessage): Promise<void> {
    await this.#settle(message, { type: 'negativeAcknowledge', messageId: message.id })
  }

  async close (): Promise<void> {
    if (this.#stopping.signal.aborted) return
    this.#stopping.abort()
    await this.#reconnecting
    const socket = this.#socket
    this.#socket = null
    if (socket !== null) await closeSocket(socket, 1000)
  }

  async #settle (message: ReceivedMessage, command: Record<string, string>): Promise<void> {
    // A message from an earlier socket: the broker already took it back when that socket closed.
    const copies = this.#outstanding.get(message.id)
    if (copies === undefined) return
    if (copies > 1) this.#outstanding.set(message.id, copies - 1)
    else this.#outstanding.delete(message.id)
    const socket = this.#socket
    if (socket === null) return
    await new Promise<void>((resolve) => {
      // No receipt exists for acks in this API; a write that fails means the socket is closing,
      // and the message comes back through redelivery, which at-least-once allows.
      socket.send(JSON.stringify(command), () => resolve())
    })
  }

  #attach (socket: WebSocket): void {
    this.#socket = socket
    this.#stopKeepAlive = keepAlive(socket, this.#options.keepAliveMs)
    socket.on('message', (data) => this.#onPush(data))
    socket.on('error', (err) => this.#options.logger.warn({ topic: this.#options.target.topic, err }, 'Pulsar WebSocket consumer socket error'))
    socket.once('close', (code, reason) => {
      this.#stopKeepAlive()
      if (this.#socket !== socket) return
      this.#socket = null
      this.#outstanding.clear()
      if (this.#stopping.signal.aborted) return
      this.#options.logger.warn({ topic: this.#options.target.topic, subscription: this.#options.target.subscription, code, reason: reason.toString() },
        'Pulsar WebSocket consumer lost its connection; resubscribing')
      this.#reconnecting = this.#resubscribe().finally(() => { this.#reconnecting = null })
    })
  }

  async #resubscribe (): Promise<void> {
    const { target, backoff, logger } = this.#options
    for (let attempt = 0; ; attempt++) {
      if (!await abortableDelay(backoffDelay(attempt, backoff), this.#stopping.signal)) return
      try {
        const socket = await openSocket(target, (socket) => this.#attach(socket))
        if (this.#stopping.signal.aborted) {
          this.#socket = null
          await closeSocket(socket, 1000)
          return
        }
        logger.info({ topic: target.topic, subscription: target.subscription, attempts: attempt + 1 }, 'Pulsar WebSocket consumer resubscribed')
        return
      } catch (err) {
        // One line per attempt would flood the log during an outage (an attempt every ~30 s per
        // consumer once the backoff is capped, more before): the first and every tenth.
        const log = attempt % 10 === 0 ? logger.warn.bind(logger) : logger.debug.bind(logger)
        log({ topic: target.topic, subscription: target.subscription, attempt: attempt + 1, err }, 'Pulsar WebSocket consumer could not resubscribe; retrying')
      }
    }
  }

  #onPush (data: WebSocket.RawData): void {
    let pushed: PushedMessage
    try {
      pushed = JSON.parse(data.toString()) as PushedMessage
    } catch {
      this.#options.logger.warn({ topic: this.#options.target.topic }, 'Pulsar WebSocket consumer got a frame that is not JSON; ignored')
      return
    }
    // Other frames (e.g. an end-of-topic answer) carry no message id.
    if (typeof pushed.messageId !== 'string' || typeof pushed.payload !== 'string') return
    this.#outstanding.set(pushed.messageId, (this.#outstanding.get(pushed.messageId) ?? 0) + 1)
    this.#options.onMessage({
      id: pushed.messageId,
      bytes: Buffer.from(pushed.payload, 'base64'),
      properties: pushed.properties ?? {},
      key: typeof pushed.key === 'string' ? pushed.key : null,
      redeliveryCount: typeof pushed.redeliveryCount === 'number' ? pushed.redeliveryCount : 0,
      publishTime: pushed.publishTime ?? ''
    })
  }
}
