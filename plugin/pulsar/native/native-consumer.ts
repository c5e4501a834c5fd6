import type { Consumer, Message } from 'pulsar-client'
import { abortableDelay } from '../../time/abortable-delay.js'
import { backoffDelay } from '../../time/backoff.js'
import type { PulsarConsumer, ReceivedMessage } from '../driver.js'
import type { OutboxLogger } from '../../logger.js'

/** How long one receive() waits before the loop looks at whether it should stop. */
const RECEIVE_POLL_MS = 500

/**
 * A native consumer read with receive() in a loop rather than with a listener: the native
 * listener hands over every prefetched message at once, so handlers would hold an unbounded
 * number of unsettled messages. Here at most `window` messages are unsettled, the same flow
 * control as the WebSocket driver's push mode.
 */
export class NativeConsumer implements PulsarConsumer {
  readonly #consumer: Consumer
  readonly #onMessage: (message: ReceivedMessage) => void
  readonly #logger: OutboxLogger
  readonly #window: number
  readonly #unsettled = new Map<string, Message>()
  #slotFreed: (() => void) | null = null
  /** Aborted by close(): the loop ends, a retry wait is cut short. */
  readonly #closing = new AbortController()
  readonly #loop: Promise<void>

  constructor (consumer: Consumer, window: number, onMessage: (message: ReceivedMessage) => void, logger: OutboxLogger, topic: string) {
    this.#consumer = consumer
    this.#window = window
    this.#onMessage = onMessage
    this.#logger = logger
    this.#loop = this.#receiveLoop(topic)
  }

  async ack (message: ReceivedMessage): Promise<void> {
    const native = this.#take(message)
    if (native !== undefined) await this.#consumer.acknowledge(native)
  }

  async nack (message: ReceivedMessage): Promise<void> {
    const native = this.#take(message)
    if (native !== undefined) this.#consumer.negativeAcknowledge(native)
  }

  async close (): Promise<void> {
    if (this.#closing.signal.aborted) return
    this.#closing.abort()
    this.#slotFreed?.()
    await this.#loop
    await this.#consumer.close()
  }

  async #receiveLoop (topic: string): Promise<void> {
    let failures = 0
    while (!this.#closing.signal.aborted) {
      if (this.#unsettled.size >= this.#window) {
        await new Promise<void>((resolve) => { this.#slotFreed = resolve })
        this.#slotFreed = null
        continue
      }
      let message: Message
      try {
        message = await this.#consumer.receive(RECEIVE_POLL_MS)
        failures = 0
      } catch (err) {
        // A receive timeout is the normal "nothing yet". Anything else: the client reconnects on
        // its own; we wait a growing delay (not a hot loop) and log the first failure of a streak.
        if (this.#closing.signal.aborted || /TimeOut|timed out|timeout/i.test((err as Error).message)) continue
        if (failures === 0) this.#logger.warn({ topic, err }, 'Pulsar native consumer receive failed; retrying')
        await abortableDelay(backoffDelay(failures++), this.#closing.signal)
        continue
      }
      const received = toReceived(message)
      this.#unsettled.set(received.id, message)
      this.#onMessage(received)
    }
  }

  #take (message: ReceivedMessage): Message | undefined {
    const native = this.#unsettled.get(message.id)
    this.#unsettled.delete(message.id)
    this.#slotFreed?.()
    return native
  }
}

function toReceived (message: Message): ReceivedMessage {
  const key = message.getPartitionKey()
  return {
    id: message.getMessageId().toString(),
    bytes: message.getData(),
    // The addon returns the properties as named keys on an array: make them a plain object.
    properties: Object.fromEntries(Object.entries(message.getProperties())),
    key: typeof key === 'string' && key !== '' ? key : null,
    redeliveryCount: message.getRedeliveryCount(),
    publishTime: new Date(message.getPublishTimestamp()).toISOString()
  }
}
