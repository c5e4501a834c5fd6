import type { MessageBus, MessageEnvelope, PublishOptions } from './library.js'
import { BusNotStartedError, PulsarConnectError } from './library.js'

export interface Published {
  envelope: MessageEnvelope
  topic: string | undefined
}

/**
 * A bus port double for projector tests: records what is published, in order, and can be told
 * to fail the next N publishes (as a message error) or to be unreachable (as an outage).
 */
export class RecordingBus implements MessageBus {
  readonly kind = 'recording'
  started = false
  readonly published: Published[] = []
  failNext = 0
  unreachable = false
  /** Called before each publish resolves; lets a test hold a publish in flight. */
  beforePublish: ((envelope: MessageEnvelope) => Promise<void>) | null = null

  async start (): Promise<void> { this.started = true }
  async stop (): Promise<void> { this.started = false }

  async publish (envelope: MessageEnvelope, options: PublishOptions = {}): Promise<void> {
    if (!this.started) throw new BusNotStartedError(this.kind)
    if (this.unreachable) throw new PulsarConnectError('pulsar://nowhere:6650', 'connection refused')
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('broker said no')
    }
    await this.beforePublish?.(envelope)
    this.published.push({ envelope, topic: options.topic })
  }

  async subscribe (): Promise<void> { throw new Error('RecordingBus does not deliver') }
  async unsubscribe (): Promise<void> {}

  eventIds (): string[] {
    return this.published.map((p) => p.envelope.eventId)
  }
}
