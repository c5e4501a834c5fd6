import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import { AbstractBus } from '../bus/abstract-bus.js'
import type { SubscriptionGroup } from '../bus/subscription-registry.js'
import { withTimeout } from '../time/time-limits.js'
import type { MessageEnvelope } from '../envelope/envelope.js'
import { BusNotStartedError } from '../errors.js'
import { clientFailure, describe } from './client-errors.js'
import { NatsConnectError } from './errors.js'
import { NatsGroupConsumer, type ReceivedMessage } from './group-consumer.js'
import { loadNatsClient, type NatsClientModules } from './load-client.js'
import { deadLetterHeaders, envelopeHeaders } from './message-headers.js'
import { resolveNatsBusSettings, type NatsBusOptions, type NatsBusSettings } from './nats-bus-options.js'
import { StreamProvisioner } from './streams.js'
import { TopicLayout } from './topic-layout.js'
import { declareOutageCodes } from '../bus/outage.js'

// The projector leaves rows pending (no attempt counted) while these say the broker is away.
declareOutageCodes(['NATS_CONNECT_FAILED', 'NATS_AUTH_FAILED'])

export type { NatsBusOptions } from './nats-bus-options.js'

interface Connected {
  readonly client: NatsClientModules
  readonly nc: NatsConnection
  readonly js: JetStreamClient
  readonly jsm: JetStreamManager
  readonly streams: StreamProvisioner
}

/**
 * The message bus on NATS JetStream. A topic is a stream `{prefix}_{topic}` over the subjects
 * `{prefix}.{topic}.{partition}`; an envelope is one message on the subject its partition key
 * hashes to, with the event id as Nats-Msg-Id, so the stream drops a projector's re-send of an event
 * it stored within the deduplication window. Each subscription is a durable pull consumer per
 * partition, shared by the instances of the service.
 */
export class NatsBus extends AbstractBus {
  readonly kind = 'nats'
  readonly settings: NatsBusSettings
  readonly #consumers = new Map<SubscriptionGroup, NatsGroupConsumer>()
  readonly #layouts = new Map<string, TopicLayout>()
  #connected: Connected | null = null
  #online = false
  /** Publishes the stream acknowledged as duplicates (same Nats-Msg-Id within the window): stored once. */
  duplicatesDropped = 0

  constructor (options: NatsBusOptions) {
    super(options)
    this.settings = resolveNatsBusSettings(options, this.options.concurrency)
  }

  /** Where a topic (short name) lives: its stream, subjects and dead-letter stream. */
  layoutOf (topic: string): TopicLayout {
    let layout = this.#layouts.get(topic)
    if (layout === undefined) {
      layout = new TopicLayout(this.settings, topic)
      this.#layouts.set(topic, layout)
    }
    return layout
  }

  protected async connect (): Promise<void> {
    const client = await loadNatsClient()
    const { servers, safeServers, connectTimeoutMs, sendTimeoutMs, reconnectWaitMs } = this.settings
    let nc: NatsConnection
    try {
      nc = await client.transport.connect({
        servers: [...servers],
        name: this.options.source,
        timeout: connectTimeoutMs,
        maxReconnectAttempts: -1,
        reconnectTimeWait: reconnectWaitMs,
        waitOnFirstConnect: false
      })
    } catch (err) {
      const failure = clientFailure(err, safeServers, '(connect)')
      throw (failure as { code?: string }).code === 'NATS_PUBLISH_FAILED' ? new NatsConnectError(safeServers, describe(err)) : failure
    }
    try {
      const jsm = await withTimeout(client.jetstream.jetstreamManager(nc, { timeout: connectTimeoutMs }), connectTimeoutMs, () => new Error(`no answer from JetStream within ${connectTimeoutMs} ms`))
      const js = client.jetstream.jetstream(nc, { timeout: sendTimeoutMs })
      this.#connected = { client, nc, js, jsm, streams: new StreamProvisioner(client, jsm, this.settings) }
    } catch (err) {
      await nc.close().catch(() => {})
      throw clientFailure(err, safeServers, '(start)')
    }
    this.#online = true
    void this.#watch(nc)
    this.options.logger.info({ servers: safeServers }, 'NATS bus connected')
  }

  protected async disconnect (): Promise<void> {
    const connected = this.#connected
    this.#connected = null
    this.#online = false
    if (connected === null) return
    await withTimeout(connected.nc.drain(), 5000, () => new Error('drain took too long')).catch(async () => { await connected.nc.close().catch(() => {}) })
  }

  protected async send (topic: string, bytes: Buffer, envelope: MessageEnvelope, contentType: string, properties: Readonly<Record<string, string>>): Promise<void> {
    const connected = this.#connectedOrFail()
    const layout = this.layoutOf(topic)
    const subject = layout.subjectFor(envelope.partitionKey)
    // While the client reconnects it would hold the publish until its timeout: an outage is said at once.
    if (!this.#online) throw new NatsConnectError(this.settings.safeServers, 'no connection to the servers (the client keeps reconnecting)')
    try {
      await connected.streams.topic(layout)
      const ack = await connected.js.publish(subject, bytes, {
        msgID: envelope.eventId,
        headers: this.#headers(connected.client, envelopeHeaders(envelope, contentType, properties)),
        timeout: this.settings.sendTimeoutMs
      })
      if (ack.duplicate) {
        this.duplicatesDropped++
        this.options.logger.debug({ eventId: envelope.eventId, eventType: envelope.eventType, stream: ack.stream, seq: ack.seq }, 'The stream already had this event (same Nats-Msg-Id within the deduplication window); stored once')
      }
    } catch (err) {
      throw clientFailure(err, this.settings.safeServers, subject)
    }
  }

  protected async openConsumer (group: SubscriptionGroup): Promise<void> {
    const connected = this.#connectedOrFail()
    const layout = this.layoutOf(group.topic)
    const consumer = new NatsGroupConsumer(group, {
      ...this.groupConsumerSettings,
      client: connected.client,
      js: connected.js,
      jsm: connected.jsm,
      settings: this.settings,
      layout,
      deadLetter: async (message, reason, envelope) => { await this.#deadLetter(connected, layout, group.subscription, message, reason, envelope) }
    })
    this.#consumers.set(group, consumer)
    try {
      await connected.streams.topic(layout)
      await connected.streams.deadLetters(layout)
      await consumer.open()
    } catch (err) {
      this.#consumers.delete(group)
      throw clientFailure(err, this.settings.safeServers, layout.subjects)
    }
  }

  protected async closeConsumer (group: SubscriptionGroup): Promise<void> {
    const consumer = this.#consumers.get(group)
    if (consumer === undefined) return
    this.#consumers.delete(group)
    await consumer.close()
  }

  async #deadLetter (connected: Connected, layout: TopicLayout, subscription: string, message: ReceivedMessage, reason: string, envelope: MessageEnvelope | null): Promise<void> {
    const headers = deadLetterHeaders(message.headers, { topic: message.msg.subject, messageId: message.messageId, subscription, redeliveryCount: message.redeliveryCount }, reason, envelope)
    await connected.js.publish(layout.deadLetterSubject(subscription), message.msg.data, {
      msgID: `${subscription}/${message.messageId}`,
      headers: this.#headers(connected.client, headers),
      timeout: this.settings.sendTimeoutMs
    })
  }

  #headers (client: NatsClientModules, values: Readonly<Record<string, string>>): ReturnType<NatsClientModules['transport']['headers']> {
    const headers = client.transport.headers()
    for (const [name, value] of Object.entries(values)) headers.set(name, value)
    return headers
  }

  async #watch (nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.#online = false
        this.options.logger.warn({ servers: this.settings.safeServers }, 'NATS connection lost; reconnecting')
      } else if (status.type === 'reconnect') {
        this.#online = true
        this.options.logger.info({ servers: this.settings.safeServers }, 'NATS connection back')
      }
    }
  }

  #connectedOrFail (): Connected {
    if (this.#connected === null) throw new BusNotStartedError(this.kind)
    return this.#connected
  }
}
