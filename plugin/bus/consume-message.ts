import { abortableDelay } from '../time/abortable-delay.js'
import { backoffDelay } from '../time/backoff.js'
import type { Dispatcher } from './dispatcher.js'
import type { SubscriptionGroup } from './subscription-registry.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import type { OutboxLogger } from '../logger.js'

/** A message as a transport received it. */
export interface TransportMessage {
  readonly bytes: Uint8Array
  readonly messageId: string
  readonly redeliveryCount: number
  readonly key: string | null
  /** How the bytes are encoded (the message's content type); null or absent: JSON. */
  readonly contentType?: string | null
  /** The transport's properties of the message, when it has any. */
  readonly properties?: Readonly<Record<string, string>>
}

/** How a transport settles a message: the three outcomes of a delivery. */
export interface MessageSettler {
  ack (): Promise<void> | void
  /** Give the message back for a later redelivery (to this or another consumer). */
  nack (): Promise<void> | void
  /** Park the message with the reason; must not lose it. Acknowledges it once parked. */
  deadLetter (reason: string, envelope: MessageEnvelope | null): Promise<void>
}

export interface ConsumeOptions {
  /** Delay before retrying in place on an ordered subscription, doubled each attempt (with jitter, capped at 30 s). */
  retryDelayMs: number
  /** Aborted when the bus stops: an in-place retry then gives the message back instead. */
  signal: AbortSignal
}

/** What a bus gives the consumer of each of its subscription groups, whatever the transport. */
export interface GroupConsumerSettings {
  readonly dispatcher: Dispatcher
  readonly logger: OutboxLogger
  /** Handlers running at once. */
  readonly concurrency: number
  /** How long stop() waits for running handlers. */
  readonly drainTimeoutMs: number
  /** Its retryDelayMs is also the delay before a failed message of an unordered subscription is delivered again. */
  readonly consume: ConsumeOptions
}

const MAX_RETRY_DELAY_MS = 30_000

/**
 * Delivers one message to its subscription's handlers and settles it.
 * On an ordered subscription a failing message is retried here, holding back only its own key,
 * because handing it back to the broker would let the next message of the key overtake it.
 */
export async function consumeMessage (
  dispatcher: Dispatcher,
  group: SubscriptionGroup,
  message: TransportMessage,
  settler: MessageSettler,
  options: ConsumeOptions
): Promise<void> {
  let redeliveryCount = message.redeliveryCount
  for (;;) {
    const verdict = await dispatcher.dispatch(group, message.bytes, message.contentType ?? null, message.properties ?? {}, {
      subscription: group.subscription,
      redeliveryCount,
      messageId: message.messageId
    })
    if (verdict.kind === 'ack') return await settler.ack()
    if (verdict.kind === 'dead-letter') return await settler.deadLetter(verdict.reason, verdict.envelope)
    if (!group.ordered || options.signal.aborted) return await settler.nack()
    const delay = backoffDelay(redeliveryCount, { initialMs: options.retryDelayMs, maxMs: MAX_RETRY_DELAY_MS })
    const retried = await abortableDelay(delay, options.signal)
    if (!retried) return await settler.nack()
    redeliveryCount++
  }
}
