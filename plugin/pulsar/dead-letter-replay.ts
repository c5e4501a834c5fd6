import type { OutboxLogger } from '../logger.js'
import type { PulsarAdmin } from './admin.js'
import type { PulsarConsumer, PulsarDriver, PulsarProducer, ReceivedMessage } from './driver.js'
import { DEAD_LETTER_PROPERTY } from '../bus/message-properties.js'

export interface DeadLetterReplaySource {
  readonly driver: PulsarDriver
  readonly admin: PulsarAdmin
  /** The bus's producer of a (fully qualified) topic. */
  readonly producerFor: (topic: string) => Promise<PulsarProducer>
  /** Fully qualified dead-letter topic to read. */
  readonly deadLetterTopic: string
  /** Fully qualified topic to send a message to when it does not say where it came from. */
  readonly topic: string
  readonly subscription: string
  readonly limit: number
  /** How long to wait for the next parked message before giving up on the rest. */
  readonly timeoutMs: number
  readonly logger: OutboxLogger
}

/** Properties a dead-lettering added: ours, and those of Pulsar's own clients (DeadLetterPolicy). */
const PARKING_PROPERTIES = new Set<string>([
  ...Object.values(DEAD_LETTER_PROPERTY),
  'REAL_TOPIC', 'REAL_SUBSCRIPTION', 'ORIGIN_MESSAGE_ID', 'ORIGIN_MESSAGE_IDY_TIME'
])

/**
 * Moves the messages parked on a dead-letter topic back to the topics they came from, for
 * another try (after the bug that made a handler fail is fixed): each message's original bytes,
 * key and properties are sent to its `original_topic`, and only once the broker has them is the
 * parked copy acknowledged. A crash in between leaves the message parked and already re-sent: at
 * least once, like every delivery (the inbox makes the second copy harmless).
 *
 * Which messages: those on the dead-letter topic's `{subscription}-replay` subscription when the
 * replay begins, counted by the admin API (the subscription starts at the earliest message the
 * first time). Messages parked while it runs wait for the next replay, so a message that fails
 * again cannot loop. Republishing goes to the topic, so every subscription of it gets the message
 * again, not only the one that gave up: their handlers must be idempotent anyway.
 *
 * Returns how many were moved. Throws when a send fails; those moved before stay moved, the rest
 * stay parked.
 */
export async function replayDeadLetters (source: DeadLetterReplaySource): Promise<number> {
  const { driver, deadLetterTopic, logger } = source
  const replaySubscription = replaySubscriptionOf(source.subscription)
  const parked = Math.min(source.limit, await parkedCount(source.admin, deadLetterTopic, replaySubscription))
  if (parked === 0) return 0

  const arrivals = new ArrivalQueue()
  const consumer = await driver.subscribe({
    topic: deadLetterTopic,
    subscription: replaySubscription,
    // One replay at a time: a second one is refused as PulsarSubscriptionBusyError.
    type: 'Exclusive',
    initialPosition: 'Earliest',
    receiverQueueSize: Math.min(parked, 100),
    nackRedeliveryDelayMs: 1000,
    onMessage: (message) => arrivals.put(message)
  })
  let moved = 0
  try {
    while (moved < parked) {
      const message = await arrivals.next(source.timeoutMs)
      if (message === null) {
        logger.warn({ deadLetterTopic, expected: parked, moved }, `No parked message arrived within ${source.timeoutMs} ms; stopping the replay early`)
        break
      }
      await moveBack(source, consumer, message)
      moved++
    }
  } finally {
    // Messages pushed beyond the count are left unacknowledged: they stay parked.
    await consumer.close()
  }
  logger.info({ deadLetterTopic, subscription: source.subscription, moved }, 'Dead-lettered messages sent back to their topics')
  return moved
}

async function moveBack (source: DeadLetterReplaySource, consumer: PulsarConsumer, message: ReceivedMessage): Promise<void> {
  const topic = message.properties[DEAD_LETTER_PROPERTY.originalTopic] ?? message.properties.REAL_TOPIC ?? source.topic
  const properties = Object.fromEntries(Object.entries(message.properties).filter(([name]) => !PARKING_PROPERTIES.has(name)))
  const producer = await source.producerFor(topic)
  await producer.send({ bytes: message.bytes, key: message.key, properties })
  await consumer.ack(message)
}

/**
 * The dead-letter topic's subscription that replays read, and that holds every parked message
 * until it is replayed or purged: the bus creates it before it parks the first message.
 */
export function replaySubscriptionOf (subscription: string): string {
  return `${subscription}-replay`
}

/** Messages on the replay subscription now; creates it at the earliest message the first time. 0 when nothing was ever parked. */
async function parkedCount (admin: PulsarAdmin, deadLetterTopic: string, replaySubscription: string): Promise<number> {
  let stats
  try {
    stats = await admin.topicStats(deadLetterTopic)
  } catch (err) {
    // No dead-letter topic: nothing was ever parked. (Creating the subscription would create the topic.)
    if ((err as { code?: string }).code === 'PULSAR_TOPIC_NOT_FOUND' && /HTTP 404/.test((err as Error).message)) return 0
    throw err
  }
  const existing = stats.subscriptions[replaySubscription]
  if (existing !== undefined) return existing.msgBacklog
  await admin.createSubscription(deadLetterTopic, replaySubscription, 'Earliest')
  return (await admin.topicStats(deadLetterTopic)).subscriptions[replaySubscription]?.msgBacklog ?? 0
}

/** Messages in arrival order, and a wait for the next one that gives up after a time. */
class ArrivalQueue {
  readonly #messages: ReceivedMessage[] = []
  #waiter: ((message: ReceivedMessage) => void) | null = null

  put (message: ReceivedMessage): void {
    const waiter = this.#waiter
    this.#waiter = null
    if (waiter !== null) waiter(message)
    else this.#messages.push(message)
  }

  next (timeoutMs: number): Promise<ReceivedMessage | null> {
    const queued = this.#messages.shift()
    if (queued !== undefined) return Promise.resolve(queued)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiter = null
        resolve(null)
      }, timeoutMs)
      this.#waiter = (message) => {
        clearTimeout(timer)
        resolve(message)
      }
    })
  }
}
