import type { Redis } from 'ioredis'
import { abortableDelay } from '../time/abortable-delay.js'
import { consumeMessage, type GroupConsumerSettings } from '../bus/consume-message.js'
import { KeyedWorkQueue } from '../bus/keyed-work-queue.js'
import type { SubscriptionGroup } from '../bus/subscription-registry.js'
import { settlesWithin } from '../time/time-limits.js'
import { eventLogFields } from '../logger.js'
import { backoffDelay } from '../time/backoff.js'
import { PROPERTY } from '../bus/message-properties.js'
import { isNoGroup } from './client-errors.js'
import { closeConnection, openConnection } from './connection.js'
import { GroupCommands } from './group-commands.js'
import type { RedisClientModule } from './load-client.js'
import type { RedisBusSettings } from './redis-bus-options.js'
import { deadLetterFields, entryId, type ReceivedEntry } from './stream-entries.js'
import { StreamLeases } from './stream-leases.js'

export interface RedisGroupConsumerOptions extends GroupConsumerSettings {
  readonly client: RedisClientModule
  /** The bus's connection, for everything but the blocking reads. */
  readonly commands: Redis
  readonly settings: RedisBusSettings
  /** `{keyPrefix}{topic}`, and the topic's streams. */
  readonly topicKey: string
  readonly streams: readonly string[]
  /** This bus's consumer name, the same in every group and across restarts of the bus. */
  readonly consumerName: string
  readonly deadLetterStream: string
}

/** Entries given back by a closing consumer look idle for a year, so the next XAUTOCLAIM takes them at once. */
const GIVE_BACK_IDLE_MS = 365 * 24 * 3600 * 1000
const READ_COUNT = 100
/** Names of consumers gone this long, holding nothing, are removed from the group (a crashed process never removes its own). */
const FORGET_CONSUMER_AFTER_MS = 3600 * 1000
/** How many upkeep rounds apart the group's consumer list is swept for such names. */
const SWEEP_EVERY_TICKS = 30
const CLAIM_ROUNDS_PER_TICK = 10

/**
 * The consumer of one subscription group: the Redis consumer group named after the subscription
 * on each of the topic's streams. It first reads its own pending entries (what it held when it
 * last stopped or lost the server), then new ones (XREADGROUP … >), on a blocking connection of
 * its own. Entries go through a KeyedWorkQueue to consumeMessage(), as in the other buses; a
 * handled entry is acknowledged (XACK), a failed one retried here after the retry delay, a
 * dead-lettered one parked and acknowledged in one transaction. Every third of the consumer
 * timeout it refreshes the entries it holds (so nobody takes a slow handler's entry) and takes
 * the entries other consumers left pending longer than the timeout (XAUTOCLAIM). Ordered
 * subscriptions read only the streams whose lease they hold (StreamLeases).
 */
export class RedisGroupConsumer {
  readonly group: SubscriptionGroup
  readonly #options: RedisGroupConsumerOptions
  readonly #commands: GroupCommands
  readonly #queue: KeyedWorkQueue<ReceivedEntry>
  readonly #leases: StreamLeases | null
  /** Entries received and not settled (running, waiting, or waiting to be retried), by entryId. */
  readonly #unsettled = new Map<string, ReceivedEntry>()
  readonly #retryTimers = new Set<NodeJS.Timeout>()
  readonly #readable = new Set<string>()
  /** Streams being given up (over our share), with the read number when they stopped being read. */
  readonly #releasing = new Map<string, number>()
  readonly #closing = new AbortController()
  #reader: Redis | null = null
  #readLoop: Promise<void> | null = null
  #tickTimer: NodeJS.Timeout | null = null
  #tickRunning = false
  #readHistory = true
  #reads = 0
  #wakeReader: (() => void) | null = null
  #ticks = 0

  constructor (group: SubscriptionGroup, options: RedisGroupConsumerOptions) {
    this.group = group
    this.#options = options
    this.#commands = new GroupCommands(options.commands, group.subscription, options.consumerName)
    this.#queue = new KeyedWorkQueue(options.concurrency, async (entry) => await this.#consume(entry))
    this.#leases = group.ordered
      ? new StreamLeases(options.commands, options.streams, options.topicKey, group.subscription, options.consumerName, options.settings.consumerTimeoutMs)
      : null
  }

  async open (): Promise<void> {
    const { client, settings, logger, streams, consumerName } = this.#options
    this.#reader = await openConnection(client, settings, logger, `${consumerName}:${this.group.subscription}`, true)
    try {
      await this.#commands.ensureGroups(streams)
      if (this.#leases === null) for (const stream of streams) this.#readable.add(stream)
      else await this.#renewLeases()
    } catch (err) {
      await closeConnection(this.#reader)
      throw err
    }
    this.#tickTimer = setInterval(() => { void this.#tick() }, Math.max(100, Math.floor(settings.consumerTimeoutMs / 3)))
    this.#readLoop = this.#read()
  }

  /** Stops reading, lets running handlers finish (up to drainTimeoutMs), gives back what it still holds. */
  async close (): Promise<void> {
    this.#closing.abort()
    if (this.#tickTimer !== null) clearInterval(this.#tickTimer)
    for (const timer of this.#retryTimers) clearTimeout(timer)
    this.#retryTimers.clear()
    this.#queue.takeWaiting()
    this.#wakeReader?.()
    await this.#readLoop
    if (!await settlesWithin(this.#queue.idle(), this.#options.drainTimeoutMs)) {
      this.#options.logger.warn({ topic: this.#options.topicKey, subscription: this.group.subscription, running: this.#queue.size },
        'Handlers still running after drainTimeoutMs; their entries are given back for another delivery')
    }
    await this.#giveBack().catch((err: unknown) => {
      this.#options.logger.warn({ topic: this.#options.topicKey, subscription: this.group.subscription, err: (err as Error).message },
        'Could not give back unsettled entries; other consumers take them after consumerTimeoutMs')
    })
    await this.#leases?.releaseAll().catch(() => {})
    // A stopped consumer that holds nothing leaves no name behind in the groups.
    for (const stream of this.#options.streams) await this.#commands.removeIfIdle(stream, this.#options.consumerName).catch(() => {})
    await closeConnection(this.#reader)
    this.#reader = null
  }

  get #closed (): boolean {
    return this.#closing.signal.aborted
  }

  async #read (): Promise<void> {
    const { settings, logger } = this.#options
    let failures = 0
    while (!this.#closed) {
      const streams = [...this.#readable]
      const room = settings.maxUnsettled - this.#unsettled.size
      if (streams.length === 0 || room <= 0) {
        await this.#sleep(settings.blockMs)
        continue
      }
      try {
        const entries = this.#readHistory ? await this.#ownPending(streams) : await this.#commands.read(this.#reader!, streams, streams.map(() => '>'), Math.min(READ_COUNT, room), settings.blockMs)
        this.#reads++
        if (failures > 0) logger.info({ topic: this.#options.topicKey, subscription: this.group.subscription }, 'Redis consumer reads again')
        failures = 0
        for (const entry of entries) this.#accept(entry)
      } catch (err) {
        this.#reads++
        if (this.#closed) break
        if (isNoGroup(err)) await this.#commands.ensureGroups(this.#options.streams).catch(() => {})
        if (failures === 0) logger.warn({ topic: this.#options.topicKey, subscription: this.group.subscription, err: (err as Error).message }, 'Redis consumer cannot read; retrying')
        // What a lost reply delivered to us is pending on us: read our history again first.
        this.#readHistory = true
        await abortableDelay(backoffDelay(failures++, settings.reconnectBackoff), this.#closing.signal)
      }
    }
  }

  /** This consumer's pending entries (after a restart or a lost connection), oldest first, with their delivery counts. */
  async #ownPending (streams: readonly string[]): Promise<ReceivedEntry[]> {
    const cursors = new Map(streams.map((stream) => [stream, '0']))
    const found: ReceivedEntry[] = []
    while (cursors.size > 0) {
      const list = [...cursors.keys()]
      const entries = await this.#commands.read(this.#reader!, list, list.map((stream) => cursors.get(stream)!), READ_COUNT, null)
      for (const stream of list) {
        const last = entries.filter((entry) => entry.stream === stream).at(-1)
        if (last === undefined) cursors.delete(stream)
        else cursors.set(stream, last.id)
      }
      found.push(...entries)
    }
    this.#readHistory = false
    return await this.#withDeliveryCounts(found)
  }

  async #withDeliveryCounts (entries: readonly ReceivedEntry[]): Promise<ReceivedEntry[]> {
    const fresh = entries.filter((entry) => !this.#unsettled.has(entryId(entry)))
    const counted: ReceivedEntry[] = []
    for (const stream of new Set(fresh.map((entry) => entry.stream))) {
      const ofStream = fresh.filter((entry) => entry.stream === stream)
      const counts = await this.#commands.deliveryCounts(stream, ofStream.map((entry) => entry.id), this.#unsettled.size)
      for (const entry of ofStream) counted.push({ ...entry, redeliveryCount: Math.max(0, (counts.get(entry.id) ?? 1) - 1) })
    }
    return counted
  }

  #accept (entry: ReceivedEntry): void {
    const id = entryId(entry)
    if (this.#closed || this.#unsettled.has(id)) return
    this.#unsettled.set(id, entry)
    this.#queue.push(this.group.ordered ? entry.key : null, entry)
  }

  #settled (entry: ReceivedEntry): void {
    this.#unsettled.delete(entryId(entry))
    this.#wakeReader?.()
  }

  async #consume (entry: ReceivedEntry): Promise<void> {
    if (this.#closed) return
    const { dispatcher, logger, consume, deadLetterStream } = this.#options
    const messageId = entryId(entry)
    try {
      await consumeMessage(dispatcher, this.group, {
        bytes: entry.data,
        messageId,
        redeliveryCount: entry.redeliveryCount,
        key: entry.key,
        contentType: entry.properties[PROPERTY.contentType] ?? null,
        properties: entry.properties
      }, {
        ack: async () => {
          await this.#commands.ack(entry.stream, entry.id).catch((err: unknown) => {
            // Still pending on us: taken again (by us or another consumer) after consumerTimeoutMs.
            logger.warn({ messageId, subscription: this.group.subscription, err: (err as Error).message }, 'Acknowledging failed; the entry will be delivered again')
          })
          this.#settled(entry)
        },
        nack: () => { this.#retryLater(entry) },
        deadLetter: async (reason, envelope) => {
          try {
            await this.#commands.deadLetter(entry.stream, entry.id, deadLetterStream, deadLetterFields(entry, this.group.subscription, reason, envelope))
          } catch (err) {
            // Never acknowledge what is not parked: it fails again and is parked next time.
            logger.error({ messageId, subscription: this.group.subscription, ...eventLogFields(envelope), reason, err }, 'Could not write to the dead-letter stream; the entry will be tried again')
            this.#retryLater(entry)
            return
          }
          logger.error({ messageId, subscription: this.group.subscription, ...eventLogFields(envelope), reason, deadLetterStream }, 'Message dead-lettered')
          this.#settled(entry)
        }
      }, consume)
    } catch (err) {
      logger.error({ messageId, subscription: this.group.subscription, err }, 'Settling an entry failed')
    }
  }

  /** The entry stays pending on us and runs again here after the retry delay. */
  #retryLater (entry: ReceivedEntry): void {
    if (this.#closed) return
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer)
      const again = { ...entry, redeliveryCount: entry.redeliveryCount + 1 }
      this.#unsettled.set(entryId(entry), again)
      this.#queue.push(this.group.ordered ? entry.key : null, again)
    }, this.#options.consume.retryDelayMs)
    this.#retryTimers.add(timer)
  }

  /** Every third of the consumer timeout: refresh what we hold, keep our leases, take what dead consumers left. */
  async #tick (): Promise<void> {
    if (this.#tickRunning || this.#closed) return
    this.#tickRunning = true
    try {
      for (const [stream, ids] of this.#unsettledByStream()) await this.#commands.touch(stream, ids)
      if (this.#leases !== null) await this.#renewLeases()
      for (const stream of this.#readable) await this.#claimIdle(stream, this.#options.settings.consumerTimeoutMs)
      if (++this.#ticks % SWEEP_EVERY_TICKS === 0) await this.#forgetGoneConsumers()
    } catch (err) {
      this.#options.logger.debug({ topic: this.#options.topicKey, subscription: this.group.subscription, err: (err as Error).message }, 'Redis consumer upkeep failed; trying again next time')
    } finally {
      this.#tickRunning = false
    }
  }

  async #forgetGoneConsumers (): Promise<void> {
    for (const stream of this.#options.streams) {
      for (const consumer of await this.#commands.consumers(stream)) {
        if (consumer.pending === 0 && consumer.idleMs > FORGET_CONSUMER_AFTER_MS) await this.#commands.removeIfIdle(stream, consumer.name)
      }
    }
  }

  async #claimIdle (stream: string, minIdleMs: number): Promise<void> {
    let cursor = '0-0'
    for (let round = 0; round < CLAIM_ROUNDS_PER_TICK && !this.#closed; round++) {
      const claimed = await this.#commands.claimIdle(stream, minIdleMs, cursor, READ_COUNT)
      if (claimed.trimmed.length > 0) {
        this.#options.logger.error({ stream, subscription: this.group.subscription, ids: claimed.trimmed },
          'Pending entries were trimmed away before they were handled: retentionMs is shorter than this subscription\'s backlog')
      }
      for (const entry of await this.#withDeliveryCounts(claimed.entries)) this.#accept(entry)
      cursor = claimed.cursor
      if (cursor === '0-0') return
    }
  }

  async #renewLeases (): Promise<void> {
    const leases = this.#leases!
    const { acquired, lost, surplus } = await leases.renew()
    for (const stream of lost) {
      this.#readable.delete(stream)
      this.#options.logger.warn({ stream, subscription: this.group.subscription }, 'Lost the lease of a stream (not renewed in time); another instance reads it now')
    }
    // What the previous holder left pending comes before anything new on the stream.
    for (const stream of acquired) {
      await this.#claimIdle(stream, 0)
      this.#readable.add(stream)
    }
    for (const stream of [...this.#readable].slice(0, surplus)) {
      if (this.#releasing.has(stream)) continue
      this.#readable.delete(stream)
      this.#releasing.set(stream, this.#reads)
    }
    for (const [stream, markedAt] of this.#releasing) {
      const busy = [...this.#unsettled.values()].some((entry) => entry.stream === stream)
      // Given up once no read that named it is still under way and nothing of it runs.
      if (this.#reads > markedAt && !busy) {
        this.#releasing.delete(stream)
        await leases.release(stream)
      }
    }
  }

  async #giveBack (): Promise<void> {
    for (const [stream, ids] of this.#unsettledByStream()) await this.#commands.touch(stream, ids, GIVE_BACK_IDLE_MS)
  }

  #unsettledByStream (): Map<string, string[]> {
    const byStream = new Map<string, string[]>()
    for (const entry of this.#unsettled.values()) byStream.set(entry.stream, [...(byStream.get(entry.stream) ?? []), entry.id])
    return byStream
  }

  /** Waits up to `ms`, or until a settled entry or a close wakes the reader. */
  async #sleep (ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms)
      function done (): void { clearTimeout(timer); resolve() }
      this.#wakeReader = done
    })
    this.#wakeReader = null
  }
}
