import { randomUUID } from 'node:crypto'
import { CliError, EXIT, usageError } from './cli-error.js'
import { confirm } from './confirm.js'
import { table, type Output } from './output.js'
import { silentLogger } from '../logger.js'
import { pulsarAdmin, type PulsarAdmin, type TopicStats } from '../pulsar/admin.js'
import { topicFor, type ResolvedPulsarConfig } from '../pulsar/config.js'
import { defaultDeadLetterTopic } from '../pulsar/dead-letter.js'
import type { ReceivedMessage } from '../pulsar/driver.js'
import { DEAD_LETTER_PROPERTY, PROPERTY } from '../bus/message-properties.js'
import { PulsarBus } from '../pulsar/pulsar-bus.js'
import { selectDriver, type DriverChoice } from '../pulsar/select-driver.js'

/** What every dead-letter command gets. */
export interface DeadLetterCommandContext {
  config: ResolvedPulsarConfig
  driver: DriverChoice
  positionals: string[]
  values: Record<string, string | boolean | string[] | undefined>
  out: Output
  io: { input: NodeJS.ReadableStream & { isTTY?: boolean }, output: NodeJS.WritableStream }
}

const DEAD_LETTER_SUFFIX = '-DLQ'
/** A peek stops waiting for more messages after this long without one. */
const PEEK_IDLE_MS = 2000

const text = (values: DeadLetterCommandContext['values'], name: string): string | undefined => values[name] as string | undefined

/** The fully qualified dead-letter topic: given by name, or as the --topic and --subscription that parked its messages. */
function deadLetterTopicOf ({ config, positionals, values }: DeadLetterCommandContext): string {
  const [named] = positionals
  const topic = text(values, 'topic')
  const subscription = text(values, 'subscription')
  if (named !== undefined) return named.includes('://') ? named : topicFor(config, named)
  if (topic === undefined || subscription === undefined) {
    throw usageError('name the dead-letter topic (as dead-letter list shows it), or give --topic and --subscription of the subscription that parked the messages')
  }
  return defaultDeadLetterTopic(topicFor(config, topic), subscription)
}

/** Messages a topic's subscriptions still hold: what a new subscription from the earliest message would see at most. */
const parkedIn = (stats: TopicStats): number => Math.max(0, ...Object.values(stats.subscriptions).map((s) => s.msgBacklog))

async function statsOrNotFound (admin: PulsarAdmin, topic: string): Promise<TopicStats> {
  try {
    return await admin.topicStats(topic)
  } catch (err) {
    if ((err as { code?: string }).code === 'PULSAR_TOPIC_NOT_FOUND') throw new CliError(`No dead-letter topic ${topic}: nothing was ever parked there (fastify-outbox dead-letter list shows those that exist)`, EXIT.notFound)
    throw err
  }
}

/** The namespace's dead-letter topics and how many messages each holds. */
export async function deadLetterList (context: DeadLetterCommandContext): Promise<number> {
  const admin = pulsarAdmin(context.config)
  const topics = (await admin.listTopics()).filter((topic) => topic.endsWith(DEAD_LETTER_SUFFIX)).sort()
  const rows: Array<{ topic: string, parked: number, subscriptions: Record<string, number> }> = []
  for (const topic of topics) {
    const stats = await admin.topicStats(topic)
    rows.push({ topic, parked: parkedIn(stats), subscriptions: Object.fromEntries(Object.entries(stats.subscriptions).map(([name, s]) => [name, s.msgBacklog])) })
  }
  context.out.result(rows, () => rows.length === 0
    ? [`no dead-letter topics in ${context.config.tenant}/${context.config.namespace}`]
    : table(rows.map((row) => ({ ...row, subscriptions: Object.entries(row.subscriptions).map(([name, n]) => `${name}=${n}`).join(' ') })), ['topic', 'parked', 'subscriptions'], 120))
  return EXIT.ok
}

/** Shows the oldest parked messages (their reason, origin and event) without consuming them. */
export async function deadLetterPeek (context: DeadLetterCommandContext): Promise<number> {
  const topic = deadLetterTopicOf(context)
  const count = Number(text(context.values, 'count') ?? 10)
  if (!Number.isInteger(count) || count < 1) throw usageError(`--count must be a whole number above 0, got ${JSON.stringify(text(context.values, 'count'))}`)
  const admin = pulsarAdmin(context.config)
  await statsOrNotFound(admin, topic)
  const messages = await readWithoutConsuming(context, admin, topic, count)
  const shown = messages.map(describeParked)
  context.out.result(shown, () => shown.length === 0
    ? [`${topic} holds no message`]
    : table(shown, ['publishTime', 'eventType', 'eventId', 'correlationId', 'originalTopic', 'subscription', 'reason'], 80))
  return EXIT.ok
}

/** Sends the parked messages of --topic/--subscription back to their topics, as PulsarBus.replayDeadLetters does. */
export async function deadLetterReplay (context: DeadLetterCommandContext): Promise<number> {
  const topic = text(context.values, 'topic')
  const subscription = text(context.values, 'subscription')
  if (topic === undefined || subscription === undefined) throw usageError('dead-letter replay needs --topic and --subscription: the topic and the subscription that parked the messages')
  const limit = text(context.values, 'limit')
  const bus = new PulsarBus({ ...context.config, source: 'fastify-outbox-cli', driver: context.driver })
  await bus.start()
  try {
    const replayed = await bus.replayDeadLetters({ topic, subscription, ...(limit === undefined ? {} : { limit: Number(limit) }) })
    context.out.result({ replayed, deadLetterTopic: defaultDeadLetterTopic(topicFor(context.config, topic), subscription) },
      () => [`sent ${replayed} parked message${replayed === 1 ? '' : 's'} back to ${topic}`])
  } finally {
    await bus.stop()
  }
  return EXIT.ok
}

/** Acknowledges every parked message on every subscription of the dead-letter topic; asks first unless --yes. */
export async function deadLetterPurge (context: DeadLetterCommandContext): Promise<number> {
  const topic = deadLetterTopicOf(context)
  const admin = pulsarAdmin(context.config)
  const stats = await statsOrNotFound(admin, topic)
  const parked = parkedIn(stats)
  if (parked > 0) await confirm(`Discard the ${parked} message${parked === 1 ? '' : 's'} parked on ${topic}?`, context.values.yes === true, context.io)
  const path = adminPath(topic)
  for (const subscription of Object.keys(stats.subscriptions)) {
    await admin.request('POST', `${path}/subscription/${encodeURIComponent(subscription)}/skip_all`)
  }
  context.out.result({ topic, purged: parked }, () => [`discarded ${parked} parked message${parked === 1 ? '' : 's'} on ${topic}`])
  return EXIT.ok
}

/** The admin REST path of a fully qualified topic. */
function adminPath (topic: string): string {
  const [prefix, rest] = topic.split('://') as [string, string]
  return `/admin/v2/${prefix}/${rest.split('/').map(encodeURIComponent).join('/')}`
}

/**
 * Reads up to `count` messages from the earliest one through a subscription of its own, never
 * acknowledging, then deletes that subscription: the parked messages stay as they were.
 */
async function readWithoutConsuming (context: DeadLetterCommandContext, admin: PulsarAdmin, topic: string, count: number): Promise<ReceivedMessage[]> {
  const { driver } = await selectDriver(context.driver, context.config, { logger: silentLogger, connectTimeoutMs: 10_000, sendTimeoutMs: 30_000, maxPendingMessages: 1, maxMessageSize: 5 * 1024 * 1024 })
  const subscription = `fastify-outbox-peek-${randomUUID()}`
  const received: ReceivedMessage[] = []
  let arrived: (() => void) | null = null
  try {
    await driver.connect()
    const consumer = await driver.subscribe({
      topic,
      subscription,
      type: 'Exclusive',
      initialPosition: 'Earliest',
      receiverQueueSize: count,
      nackRedeliveryDelayMs: 60_000,
      onMessage: (message) => { if (received.length < count) received.push(message); arrived?.() }
    })
    while (received.length < count) {
      const before = received.length
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, PEEK_IDLE_MS)
        arrived = () => { clearTimeout(timer); resolve() }
      })
      if (received.length === before) break
    }
    await consumer.close()
  } finally {
    await driver.close()
    await admin.request('DELETE', `${adminPath(topic)}/subscription/${encodeURIComponent(subscription)}?force=true`).catch(() => {})
  }
  return received
}

function describeParked (message: ReceivedMessage): Record<string, unknown> {
  const p = message.properties
  return {
    publishTime: message.publishTime,
    eventType: p[PROPERTY.eventType] ?? null,
    eventId: p[PROPERTY.eventId] ?? null,
    correlationId: p[PROPERTY.correlationId] ?? null,
    originalTopic: p[DEAD_LETTER_PROPERTY.originalTopic] ?? null,
    subscription: p[DEAD_LETTER_PROPERTY.subscription] ?? null,
    redeliveryCount: p[DEAD_LETTER_PROPERTY.redeliveryCount] === undefined ? null : Number(p[DEAD_LETTER_PROPERTY.redeliveryCount]),
    reason: p[DEAD_LETTER_PROPERTY.reason] ?? null,
    key: message.key,
    contentType: p[PROPERTY.contentType] ?? null,
    payload: payloadOf(message)
  }
}

/** The message body as JSON when it is JSON, else its size (Avro and Protobuf need their schemas). */
function payloadOf (message: ReceivedMessage): unknown {
  try {
    return JSON.parse(message.bytes.toString('utf8'))
  } catch {
    return `${message.bytes.byteLength} bytes of ${message.properties[PROPERTY.contentType] ?? 'unknown content'}`
  }
}
