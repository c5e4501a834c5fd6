import type { Client, Producer } from 'pulsar-client'
import { pulsarAdmin } from '../admin.js'
import { sendFailure } from '../broker-errors.js'
import type { DriverOptions, OutgoingMessage, ProducerOptions, PulsarProducer } from '../driver.js'
import type { ResolvedPulsarConfig } from '../config.js'
import type { BrokerSendErrors } from './broker-send-errors.js'
import { nativeOpenFailure } from './native-errors.js'
import { unreachableReason } from './reachable.js'
import { settlesWithin, withTimeout } from '../../time/time-limits.js'
import { BusStoppedError } from '../../errors.js'
import { PulsarConnectError, PulsarMessageTooLargeError } from '../errors.js'

/** Beyond the client's own send timeout, how long a send may stay unsettled before we give up on it. */
const SEND_GRACE_MS = 2000

/** How long the probe after a failed send waits for the broker's port. */
const PROBE_TIMEOUT_MS = 2000

/** How long closing a producer that is stuck on a refused message may take. */
const RETIRE_TIMEOUT_MS = 5000

export interface NativeProducerContext {
  readonly client: Client
  readonly config: ResolvedPulsarConfig
  readonly options: DriverOptions
  readonly refusals: BrokerSendErrors
  /** Where we talk to, for messages. */
  readonly where: string
}

/**
 * A producer of the native client with a deadline on every send. The client re-sends a message
 * the broker refuses (too large for a topic policy) for ever, holding every later send behind
 * it; past the deadline this producer fails that send with the broker's logged reason, retires
 * the stuck client producer and opens a fresh one for the sends that follow.
 */
export class NativeProducer implements PulsarProducer {
  readonly topic: string
  readonly #options: ProducerOptions
  readonly #context: NativeProducerContext
  #producer: Promise<Producer> | null = null
  /** The client producer #producer resolved to, once it has. */
  #active: Producer | null = null
  /** Bumped when a stuck client producer is replaced: sends of an older one were not refused themselves. */
  #generation = 0
  /** The topic's own limit (its maxMessageSize policy, or learned from a refusal), checked before sending. */
  #limit: { readonly bytes: number, readonly said: string } | null = null
  #closed = false

  static async open (context: NativeProducerContext, options: ProducerOptions): Promise<NativeProducer> {
    const producer = new NativeProducer(context, options)
    await producer.#current()
    await producer.#readTopicLimit()
    return producer
  }

  private constructor (context: NativeProducerContext, options: ProducerOptions) {
    this.topic = options.topic
    this.#options = options
    this.#context = context
  }

  async send (message: OutgoingMessage): Promise<string> {
    if (this.#closed) throw new BusStoppedError('pulsar', `send to ${this.topic}: its producer is closed`)
    const { options, where } = this.#context
    const what = message.properties.event_id ?? `for ${this.topic}`
    const failed = { url: where, topic: this.topic, message: what, size: message.bytes.byteLength, maxMessageSize: options.maxMessageSize }
    if (message.bytes.byteLength > options.maxMessageSize) {
      throw new PulsarMessageTooLargeError(what, message.bytes.byteLength, options.maxMessageSize)
    }
    // Refused here rather than by the broker: the client would stall every message behind it.
    // The policy is read again first: an operator may have raised it since.
    if (this.#limit !== null && message.bytes.byteLength > this.#limit.bytes) {
      const limit = await this.#topicLimitBelow(message.bytes.byteLength)
      if (limit !== null) throw new PulsarMessageTooLargeError(what, message.bytes.byteLength, limit)
    }
    const producer = await this.#current()
    const generation = this.#generation
    const started = Date.now()
    const deadlineMs = options.sendTimeoutMs + SEND_GRACE_MS
    const stuck = new Error('no receipt before the deadline')
    try {
      const receipt = await withTimeout(producer.send({
        data: Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength),
        properties: { ...message.properties },
        ...(message.key === null ? {} : { partitionKey: message.key })
      }), deadlineMs, () => stuck)
      return receipt.toString()
    } catch (err) {
      if (err !== stuck) throw await this.#explained(sendFailure((err as Error).message, failed))
    }
    if (generation !== this.#generation) {
      // Queued behind the message that stalled the producer: not refused itself, sent again later.
      throw new PulsarConnectError(where, `sending to ${this.topic} waited behind a message the broker refused; its producer was replaced`)
    }
    this.#generation++
    this.#retire(producer)
    const refusal = this.#context.refusals.latestSince(started)
    if (refusal === null) {
      // The client's log may not have said why (it reaches JavaScript late or not at all under
      // load): a topic policy this message exceeds says it as well.
      const limit = await this.#topicLimitBelow(message.bytes.byteLength)
      if (limit !== null) throw new PulsarMessageTooLargeError(what, message.bytes.byteLength, limit)
      throw new PulsarConnectError(where, `sending to ${this.topic} got no receipt within ${deadlineMs} ms`)
    }
    const failure = sendFailure(refusal, failed)
    if ((failure as { code?: string }).code === 'PULSAR_MESSAGE_TOO_LARGE') this.#learnLimit(message.bytes.byteLength)
    throw failure
  }

  /** A topic policy under the broker's limit: read once, so that oversized messages never reach the client. */
  async #readTopicLimit (): Promise<void> {
    const { config, options } = this.#context
    if (config.webServiceUrl === null) return
    try {
      const bytes = await pulsarAdmin(config, { timeoutMs: options.connectTimeoutMs }).topicMaxMessageSize(this.topic)
      this.#limit = bytes !== null && bytes > 0 ? { bytes, said: String(bytes) } : null
    } catch {
      // No admin rights or no web port: the broker's refusal still says it, later and slower.
    }
  }

  /** The topic's limit as the policy says it now, when `bytes` is over it; else null. */
  async #topicLimitBelow (bytes: number): Promise<string | null> {
    await this.#readTopicLimit()
    return this.#limit !== null && bytes > this.#limit.bytes ? this.#limit.said : null
  }

  #learnLimit (refusedBytes: number): void {
    if (this.#limit === null || refusedBytes - 1 < this.#limit.bytes) this.#limit = { bytes: refusedBytes - 1, said: `${refusedBytes - 1} or fewer` }
  }

  /**
   * The client says only "TimeOut" when the broker went away while a send waited: a quick probe
   * of the port says "connection refused" instead, when that is why.
   */
  async #explained (failure: Error): Promise<Error> {
    if ((failure as { code?: string }).code !== 'PULSAR_CONNECT_FAILED') return failure
    const unreachable = await unreachableReason(this.#context.config, PROBE_TIMEOUT_MS)
    return unreachable === null ? failure : new PulsarConnectError(this.#context.where, `${unreachable} (sending to ${this.topic})`)
  }

  async close (): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const producer = await this.#producer?.catch(() => null)
    this.#producer = null
    if (producer === null || producer === undefined) return
    await producer.flush().catch(() => null)
    await producer.close().catch(() => null)
  }

  async #current (): Promise<Producer> {
    this.#producer ??= this.#create()
    return await this.#producer
  }

  async #create (): Promise<Producer> {
    const { client, options, where } = this.#context
    try {
      const producer = await client.createProducer({
        topic: this.topic,
        ...(this.#options.producerName === undefined ? {} : { producerName: this.#options.producerName }),
        sendTimeoutMs: options.sendTimeoutMs,
        maxPendingMessages: options.maxPendingMessages,
        // Wait for room rather than fail: maxPendingMessages is a bound, not an error.
        blockIfQueueFull: true,
        // Off, as in the WebSocket proxy: a batch goes to one Key_Shared consumer whatever its keys.
        batchingEnabled: false
      })
      this.#active = producer
      return producer
    } catch (err) {
      this.#producer = null
      throw nativeOpenFailure(err, where, this.topic)
    }
  }

  /** Drops a producer stuck on a refused message; the next send opens a new one. */
  #retire (stuck: Producer): void {
    if (this.#active === stuck) {
      this.#active = null
      this.#producer = null
    }
    void settlesWithin(stuck.close(), RETIRE_TIMEOUT_MS)
  }
}
