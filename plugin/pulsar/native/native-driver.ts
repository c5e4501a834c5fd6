import type { Client, ClientConfig, LogLevel, SubscriptionType as NativeSubscriptionType } from 'pulsar-client'
import { pulsarAdmin } from '../admin.js'
import { topicFor, type ResolvedPulsarConfig } from '../config.js'
import type { DriverOptions, ProducerOptions, PulsarConsumer, PulsarDriver, PulsarProducer, ConsumerOptions, SubscriptionType } from '../driver.js'
import { redactUrl } from '../service-url.js'
import { withTimeout } from '../../time/time-limits.js'
import { loadPulsarClient, type PulsarClientModule } from './load-client.js'
import { brokerSendErrors, listenToClientLog } from './client-log.js'
import { NativeConsumer } from './native-consumer.js'
import { NativeProducer } from './native-producer.js'
import { unreachableReason } from './reachable.js'
import { nativeOpenFailure } from './native-errors.js'
import { BusStoppedError } from '../../errors.js'
import { PulsarConnectError } from '../errors.js'
import type { OutboxLogger } from '../../logger.js'

export interface NativeDriverOptions extends DriverOptions {
  readonly logger: OutboxLogger
}

/** LogLevel.WARN of pulsar-client (a const enum there: its value, to import types only). */
const WARN = 2 as LogLevel

const nativeSubscriptionTypes: Record<SubscriptionType, NativeSubscriptionType> = {
  Shared: 'Shared',
  Key_Shared: 'KeyShared',
  Failover: 'Failover',
  Exclusive: 'Exclusive'
}

/**
 * The Pulsar driver over the official client (`pulsar-client`, C++ underneath): the binary
 * protocol and the client's own reconnects. Create it
 * with NativeDriver.load(), which fails with PulsarNativeDriverError when the addon is missing.
 */
export class NativeDriver implements PulsarDriver {
  readonly name = 'native'
  readonly #pulsar: PulsarClientModule
  readonly #config: ResolvedPulsarConfig
  readonly #options: NativeDriverOptions
  readonly #where: string
  readonly #producers = new Set<NativeProducer>()
  #stopListening: (() => void) | null = null
  readonly #consumers = new Set<NativeConsumer>()
  #client: Client | null = null
  #closed = false

  static async load (config: ResolvedPulsarConfig, options: NativeDriverOptions): Promise<NativeDriver> {
    return new NativeDriver(await loadPulsarClient(), config, options)
  }

  private constructor (pulsar: PulsarClientModule, config: ResolvedPulsarConfig, options: NativeDriverOptions) {
    this.#pulsar = pulsar
    this.#config = config
    this.#options = options
    // A listener the broker does not advertise leaves producers and consumers to time out: say which one was asked for.
    this.#where = redactUrl(config.serviceUrl) + (config.listenerName === null ? '' : ` (listener "${config.listenerName}", which must be one of the broker's advertisedListeners)`)
  }

  /**
   * Creates the client and asks the broker for a topic's partitions: the client connects lazily,
   * so this lookup is what proves the broker answers and takes our token.
   */
  async connect (): Promise<void> {
    const unreachable = await unreachableReason(this.#config, this.#options.connectTimeoutMs)
    if (unreachable !== null) throw new PulsarConnectError(this.#where, unreachable)
    await this.#checkToken()
    const { tls, authToken, listenerName } = this.#config
    const clientConfig: ClientConfig = {
      serviceUrl: this.#config.serviceUrl,
      operationTimeoutSeconds: Math.max(1, Math.ceil(this.#options.connectTimeoutMs / 1000)),
      connectionTimeoutMs: this.#options.connectTimeoutMs,
      // Warnings and up cross into JavaScript (listenToClientLog routes them to our logger).
      logLevel: WARN,
      // Lookups then answer with that listener's address (the broker's advertisedListeners).
      ...(listenerName === null ? {} : { listenerName }),
      ...(authToken === null ? {} : { authentication: new this.#pulsar.AuthenticationToken({ token: authToken }) }),
      ...(tls.enabled ? { tlsValidateHostname: tls.validateHostname, ...(tls.trustCertPath === null ? {} : { tlsTrustCertsFilePath: tls.trustCertPath }) } : {})
    }
    this.#stopListening ??= listenToClientLog(this.#pulsar, (_level, file, line, message) => {
      this.#options.logger.warn({ file, line }, `pulsar-client: ${message}`)
    })
    const client = new this.#pulsar.Client(clientConfig)
    this.#client = client
    try {
      await withTimeout(client.getPartitionsForTopic(topicFor(this.#config, 'outbox-connect-check')), this.#options.connectTimeoutMs,
        () => new PulsarConnectError(this.#where, `no answer to a topic lookup within ${this.#options.connectTimeoutMs} ms${this.#config.authToken === null ? '' : ' (the broker also stays silent when it cannot verify the token: check PULSAR_AUTH_TOKEN)'}`))
    } catch (err) {
      throw (err as { code?: string }).code === undefined ? nativeOpenFailure(err, this.#where, '(connect check)') : err
    }
  }

  /**
   * A missing token, or one the broker cannot verify, makes the C++ client retry its lookup until
   * the timeout and say "TimeOut". Where the web port is known, its admin API says 401 at once
   * (403: a valid token without admin rights, all a producer or consumer needs). The binary port
   * is what this driver needs, so a web port that does not answer is left to the lookup.
   */
  async #checkToken (): Promise<void> {
    if (this.#config.webServiceUrl === null) return
    try {
      await pulsarAdmin(this.#config, { timeoutMs: this.#options.connectTimeoutMs }).clusters()
    } catch (err) {
      if ((err as { code?: string }).code === 'PULSAR_AUTH_FAILED' && !/HTTP 403/.test((err as Error).message)) throw err
    }
  }

  async createProducer (options: ProducerOptions): Promise<PulsarProducer> {
    const client = this.#open('create a producer')
    const producer = await NativeProducer.open({ client, config: this.#config, options: this.#options, refusals: brokerSendErrors, where: this.#where }, options)
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
    const client = this.#open('subscribe')
    try {
      const consumer = await client.subscribe({
        topic: options.topic,
        subscription: options.subscription,
        subscriptionType: nativeSubscriptionTypes[options.type],
        subscriptionInitialPosition: options.initialPosition,
        receiverQueueSize: options.receiverQueueSize,
        nAckRedeliverTimeoutMs: options.nackRedeliveryDelayMs
      })
      const wrapped = new NativeConsumer(consumer, options.receiverQueueSize, options.onMessage, this.#options.logger, options.topic)
      this.#consumers.add(wrapped)
      return {
        ack: async (message) => await wrapped.ack(message),
        nack: async (message) => await wrapped.nack(message),
        close: async () => {
          if (this.#consumers.delete(wrapped)) await wrapped.close()
        }
      }
    } catch (err) {
      throw nativeOpenFailure(err, this.#where, options.topic, options.subscription)
    }
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await Promise.allSettled([...this.#consumers].map(async (consumer) => await consumer.close()))
    await Promise.allSettled([...this.#producers].map(async (producer) => await producer.close()))
    this.#consumers.clear()
    this.#producers.clear()
    await this.#client?.close()
    this.#client = null
    this.#stopListening?.()
    this.#stopListening = null
  }

  #open (action: string): Client {
    if (this.#closed || this.#client === null) throw new BusStoppedError('pulsar', `${action}: its native driver is ${this.#closed ? 'closed' : 'not connected'}`)
    return this.#client
  }
}
