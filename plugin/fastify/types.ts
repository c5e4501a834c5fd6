import type { MessageBus } from '../bus/bus.js'
import type { Inbox } from '../inbox/inbox.js'
import type { Outbox } from '../outbox/outbox.js'
import type { OutboxProjector } from '../outbox/projector.js'
import type { RetentionSweeper } from '../outbox/retention.js'
import type { RequestOutbox } from './request-outbox.js'

/** `fastify.outbox`: the write side, plus the projector and the retention sweeper this process runs. */
export interface FastifyOutbox extends Outbox {
  /** The projector of this process, or null when `projector: false`. */
  readonly projector: OutboxProjector | null
  readonly retention: RetentionSweeper | null
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The message bus: publish, subscribe, unsubscribe. */
    bus: MessageBus
    /** The transactional outbox, its projector and backlog helpers. */
    outbox: FastifyOutbox
    /** Idempotent consumers: handlers whose effects apply once per event. */
    inbox: Inbox
  }
  interface FastifyRequest {
    /** This request's outbox: events carry its correlation id. */
    outbox: RequestOutbox
  }
}
