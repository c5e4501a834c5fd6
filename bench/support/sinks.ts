import type { MessageBus, MessageEnvelope, PublishOptions } from 'fastify-outbox'

/**
 * A bus that accepts every publish at once and keeps nothing: a projector draining into it shows the
 * cost of the projector itself (claim, envelope check, settle) with no transport at all.
 */
export class NoopBus implements MessageBus {
  readonly kind = 'noop'
  started = false
  published = 0

  async start (): Promise<void> { this.started = true }
  async stop (): Promise<void> { this.started = false }
  async publish (_envelope: MessageEnvelope, _options?: PublishOptions): Promise<void> { this.published++ }
  async subscribe (): Promise<void> { throw new Error('NoopBus delivers nothing') }
  async unsubscribe (): Promise<void> {}
}

/**
 * Wraps a bus and hands the event id of every publish that succeeded to `onPublished`, which
 * is how the scale-out scenario counts what reached the sink, and how many times.
 */
export class CountingBus implements MessageBus {
  readonly kind: string
  readonly #inner: MessageBus
  readonly #onPublished: (eventId: string) => void

  constructor (inner: MessageBus, onPublished: (eventId: string) => void) {
    this.#inner = inner
    this.kind = `counting-${inner.kind}`
    this.#onPublished = onPublished
  }

  get started (): boolean { return this.#inner.started }
  async start (): Promise<void> { await this.#inner.start() }
  async stop (): Promise<void> { await this.#inner.stop() }
  async publish (envelope: MessageEnvelope, options?: PublishOptions): Promise<void> {
    await this.#inner.publish(envelope, options)
    this.#onPublished(envelope.eventId)
  }

  async subscribe (...args: Parameters<MessageBus['subscribe']>): Promise<void> { await this.#inner.subscribe(...args) }
  async unsubscribe (...args: Parameters<MessageBus['unsubscribe']>): Promise<void> { await this.#inner.unsubscribe(...args) }
}
