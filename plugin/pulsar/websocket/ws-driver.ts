import { randomUUID } from 'node:crypto'
import { pulsarAdmin } from '../admin.js'
import { DEFAULT_BACKOFF, type BackoffOptions } from '../../time/backoff.js'
import type { ResolvedPulsarConfig } from '../config.js'
import type { DriverOptions, ProducerOptions, PulsarConsumer, PulsarDriver, PulsarProducer, ConsumerOptions } from '../driver.js'
import { toWebSocketBase } from '../service-url.js'
import { clientTlsOptions } from '../tls.js'
import { consumerUrl, producerUrl } from './endpoints.js'
import type { SocketTarget } from './socket.js'
import { WebSocketConsumer } from './ws-consumer.js'
import { WebSocketProducer } from './ws-producer.js'
import { BusStoppedError } from '../../errors.js'
import { PulsarConfigError } from '../errors.js'
import type { OutboxLogger } from '../../logger.js'

export interface WebSocketDriverOptions extends DriverOptions {
  readonly logger: OutboxLogger
  /** Reconnect delays; default 100 ms doubling to 30 s. */
  readonly backoff?: BackoffOptions
  /** Ping interval that keeps idle sockets open and finds dead ones; default 30 s. */
  readonly keepAliveMs?: number
  /** The proxy's webSocketMaxTextFrameSize; default 1 MiB, Pulsar's default. */
  readonly maxFrameSize?: number
}

/** Pulsar's default webSocketMaxTextFrameSize: base64 makes the largest payload ~786 KB. */
export const DEFAULT_MAX_FRAME_SIZE = 1024 * 1024

/**
 * The Pulsar driver in pure TypeScript: Pulsar's WebSocket API on the broker's web port, through
 * `ws`. One socket per producer and per consumer, as the API requires.
 */
export class WebSocketDriver implements PulsarDriver {
  readonly name = 'websocket'
  readonly #config: ResolvedPulsarConfig
  readonly #options: WebSocketDriverOptions
  readonly #base: string
  readonly #producers = new Set<WebSocketProducer>()
  readonly #consumers = new Set<WebSocketConsumer>()
  #closed = false

  constructor (config: ResolvedPulsarConfig, options: WebSocketDriverOptions) {
    if (config.webServiceUrl === null) {
      throw new PulsarConfigError(`the websocket driver talks to the broker's web port, which cannot be derived from ${config.serviceUrl} (not on the default port 6650/6651): set webServiceUrl (PULSAR_WEB_URL), e.g. http://localhost:8080`)
    }
    this.#config = config
    this.#options = options
    this.#base = toWebSocketBase(config.webServiceUrl)
  }

  /**
   * Asks the admin API for the clusters: it answers only when the broker is up, and it checks the
   * token (401 for a token the broker cannot verify). A 403 means the token is valid but not an
   * admin's, which is all a producer or consumer needs.
   */
  async connect (): Promise<void> {
    try {
      await pulsarAdmin(this.#config, { timeoutMs: this.#options.connectTimeoutMs }).clusters()
    } catch (err) {
      if ((err as { code?: string }).code === 'PULSAR_AUTH_FAILED' && /HTTP 403/.test((err as Error).message)) return
      throw err
    }
  }

  async createProducer (options: ProducerOptions): Promise<PulsarProducer> {
    this.#checkOpen('create a producer')
    const url = producerUrl(this.#base, options.topic, {
      producerName: options.producerName,
      sendTimeoutMillis: this.#options.sendTimeoutMs
    })
    const producer = new WebSocketProducer(options.topic, {
      target: this.#target(url, options.topic),
      sendTimeoutMs: this.#options.sendTimeoutMs,
      maxPendingMessages: this.#options.maxPendingMessages,
      maxMessageSize: this.#options.maxMessageSize,
      maxFrameSize: this.#options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE,
      backoff: this.#options.backoff ?? DEFAULT_BACKOFF,
      keepAliveMs: this.#options.keepAliveMs ?? 30_000,
      logger: this.#options.logger
    })
    await producer.open()
    this.#producers.add(producer)
    return {
      topic: producer.topic,
      send: async (message) => await producer.send(message),
      close: async () => {
        this.#producers.delete(producer)
        await producer.close()
      }
    }
  }

  async subscribe (options: ConsumerOptions): Promise<PulsarConsumer> {
    this.#checkOpen('subscribe')
    const url = consumerUrl(this.#base, options.topic, options.subscription, {
      subscriptionType: options.type,
      subscriptionInitialPosition: options.initialPosition,
      // The proxy caps it at 1000.
      receiverQueueSize: Math.min(options.receiverQueueSize, 1000),
      negativeAckRedeliveryDelay: options.nackRedeliveryDelayMs,
      // Several instances of one service on one subscription: a name tells them apart in stats.
      consumerName: `${options.subscription}-${randomUUID().slice(0, 8)}`
    })
    const consumer = new WebSocketConsumer({
      target: this.#target(url, options.topic, options.subscription),
      onMessage: options.onMessage,
      backoff: this.#options.backoff ?? DEFAULT_BACKOFF,
      keepAliveMs: this.#options.keepAliveMs ?? 30_000,
      logger: this.#options.logger
    })
    await consumer.open()
    this.#consumers.add(consumer)
    return {
      ack: async (message) => await consumer.ack(message),
      nack: async (message) => await consumer.nack(message),
      close: async () => {
        this.#consumers.delete(consumer)
        await consumer.close()
      }
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#consumers].map(async (consumer) => await consumer.close()))
    await Promise.allSettled([...this.#producers].map(async (producer) => await producer.close()))
    this.#consumers.clear()
    this.#producers.clear()
  }

  #target (url: string, topic: string, subscription?: string): SocketTarget {
    return {
      url,
      topic,
      ...(subscription === undefined ? {} : { subscription }),
      token: this.#config.authToken,
      tls: this.#base.startsWith('wss:') ? clientTlsOptions(this.#config) : null,
      timeoutMs: this.#options.connectTimeoutMs
    }
  }

  #checkOpen (action: string): void {
    if (this.#closed) throw new BusStoppedError('pulsar', `${action}: its websocket driver is closed`)
  }
}
