import Fastify, { type FastifyInstance, type FastifyPluginAsync, type FastifyPluginCallback, type FastifyServerOptions } from 'fastify'
import { correlatedRequestId, outboxPlugin, type FastifyOutboxOptions, type MessageBus, type OutboxDatabase } from 'fastify-outbox'
import { outboxBoard } from 'fastify-outbox/board'
import { demoEvents } from './events.js'
import { subscribeReserveStock } from './handlers/reserve-stock.js'
import { subscribeSettleOrder } from './handlers/settle-order.js'
import { decorateReadiness } from './readiness.js'
import { healthRoutes } from './routes/health.js'
import { orderRoutes } from './routes/orders.js'

export interface OrderServiceOptions {
  db: OutboxDatabase
  /** Default: the in-memory bus. */
  bus?: MessageBus
  logger?: FastifyServerOptions['logger']
  /** A ready pino logger, shared with the bus; wins over `logger`. */
  loggerInstance?: FastifyServerOptions['loggerInstance']
  projector?: FastifyOutboxOptions['projector']
  /** Largest request body in bytes; default 64 KiB, far above any sane order. */
  bodyLimit?: number
  /**
   * Registered before anything else, so it sees every route: e.g. `@fastify/otel`'s plugin, whose
   * request spans the outbox's trace context then continues.
   */
  instrumentation?: FastifyPluginAsync | FastifyPluginCallback
  /** Serves the outbox board at /outbox, open to this token only; default no board. */
  boardToken?: string
}

export const SERVICE_NAME = 'order-service'

/** The demo order service: routes, the inventory and order handlers, and the outbox plugin. */
export async function buildOrderService (options: OrderServiceOptions): Promise<FastifyInstance> {
  const app = Fastify({
    ...(options.loggerInstance === undefined ? { logger: options.logger ?? false } : { loggerInstance: options.loggerInstance }),
    // The caller's x-correlation-id, or a fresh UUIDv7: logs, events and traces share it.
    genReqId: correlatedRequestId(),
    bodyLimit: options.bodyLimit ?? 64 * 1024,
    // Refuse unknown fields instead of silently dropping them (Fastify's default strips them).
    ajv: { customOptions: { removeAdditional: false } }
  })
  if (options.instrumentation !== undefined) await app.register(options.instrumentation)
  decorateReadiness(app)
  await app.register(outboxPlugin, {
    db: options.db,
    source: SERVICE_NAME,
    bus: options.bus,
    events: demoEvents,
    projector: options.projector,
    // Prometheus metrics at /metrics: backlog, projector, handlers, inbox, dead letters.
    metrics: true
  })
  if (options.boardToken !== undefined) await app.register(outboxBoard, { token: options.boardToken })
  await app.register(orderRoutes)
  await app.register(healthRoutes)
  await subscribeReserveStock(app)
  await subscribeSettleOrder(app)
  return app
}
