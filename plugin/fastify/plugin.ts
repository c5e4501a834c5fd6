import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { correlationIdOf } from './correlation.js'
import type { FastifyOutboxOptions } from './options.js'
import { RequestOutbox } from './request-outbox.js'
import { startWithin } from './start-within.js'
import type { FastifyOutbox } from './types.js'
import { AbstractBus } from '../bus/abstract-bus.js'
import type { MessageBus } from '../bus/bus.js'
import { MemoryBus } from '../bus/memory-bus.js'
import { isDrizzleDatabase } from '../database/database.js'
import { EventCatalog } from '../events/event-catalog.js'
import { AlreadyRegisteredError, InvalidOptionsError } from '../errors.js'
import { Inbox } from '../inbox/inbox.js'
import { registerMetrics } from '../metrics/register-metrics.js'
import { Outbox } from '../outbox/outbox.js'
import { OutboxProjector } from '../outbox/projector.js'
import { RetentionSweeper } from '../outbox/retention.js'
import { createOutboxTables } from '../tables.js'

const kRequestOutbox = Symbol('fastify-outbox.request')
const NOTIFY_CHANNEL = 'outbox'

type RequestWithOutbox = FastifyRequest & { [kRequestOutbox]: RequestOutbox | null }

const fastifyOutbox: FastifyPluginAsync<FastifyOutboxOptions> = async (fastify, options) => {
  if (fastify.hasDecorator('outbox') || fastify.hasDecorator('bus')) throw new AlreadyRegisteredError()
  checkOptions(options)
  const logger = fastify.log
  const tables = options.tables ?? createOutboxTables()
  const bus: MessageBus = options.bus ?? new MemoryBus({ source: options.source, logger })
  // Share the bus's catalog so the outbox, the projector and the consumers agree on topics and schemas.
  const catalog = bus instanceof AbstractBus ? bus.catalog : new EventCatalog()
  for (const definition of options.events ?? []) catalog.register(definition)

  const projector = options.projector === false
    ? null
    : new OutboxProjector({ ...options.projector, db: options.db, bus, table: tables.outbox, catalog, logger, channel: NOTIFY_CHANNEL, driverFastPaths: options.driverFastPaths })
  const notify = options.notify ?? 'auto'
  const outbox = new Outbox({
    db: options.db,
    source: options.source,
    table: tables.outbox,
    catalog,
    logger,
    notifyChannel: notify === true || (notify === 'auto' && projector === null) ? NOTIFY_CHANNEL : null,
    driverFastPaths: options.driverFastPaths
  })
  if (projector !== null) outbox.signal.onCommit(() => projector.nudge())
  const inbox = new Inbox({ transactions: outbox, bus, source: options.source, table: tables.inbox, logger })
  const retention = options.retention === false ? null : new RetentionSweeper(outbox, inbox, options.retention, logger)

  if (options.metrics !== undefined && options.metrics !== false) {
    const telemetry = [inbox.telemetry, ...(projector === null ? [] : [projector.telemetry]), ...(bus instanceof AbstractBus ? [bus.telemetry] : [])]
    await registerMetrics(fastify, options.metrics, { readBacklog: async () => await outbox.backlog(), telemetry })
  }

  const decorated = Object.assign(outbox, { projector, retention }) as FastifyOutbox
  fastify.decorate('bus', bus)
  fastify.decorate('outbox', decorated)
  fastify.decorate('inbox', inbox)
  decorateRequests(fastify, outbox, options.correlationHeader ?? 'x-correlation-id', options.echoCorrelationId !== false)

  fastify.addHook('onReady', async () => {
    await startWithin([
      { what: `The ${bus.kind} bus`, fix: 'check that its broker is up and reachable at the address the bus is given (the log line before this error names it)', start: async () => await bus.start() },
      ...(projector === null ? [] : [{ what: 'The outbox projector', fix: 'check that the database answers', start: async () => await projector.start() }])
    ], fastify.initialConfig.pluginTimeout ?? 0)
    retention?.start()
  })
  // onClose runs after in-flight requests finished. Projector first: it may be publishing on the bus.
  fastify.addHook('onClose', async () => {
    await projector?.stop()
    await retention?.stop()
    await bus.stop()
  })
}

/**
 * `request.outbox` is built on first use, per request (Fastify 5: a request decorator must not
 * be a shared object), so routes that never touch the outbox pay nothing for it.
 */
function decorateRequests (fastify: FastifyInstance, outbox: Outbox, header: string, echo: boolean): void {
  const headerName = header.toLowerCase()
  fastify.decorateRequest(kRequestOutbox, null)
  fastify.decorateRequest('outbox', {
    getter (this: FastifyRequest): RequestOutbox {
      const request = this as RequestWithOutbox
      request[kRequestOutbox] ??= new RequestOutbox(outbox, correlationIdOf(request, headerName))
      return request[kRequestOutbox]
    }
  })
  if (echo) {
    fastify.addHook('onRequest', async (request, reply) => {
      reply.header(headerName, correlationIdOf(request, headerName))
    })
  }
}

function checkOptions (options: FastifyOutboxOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError('pass an options object: { db, source }')
  if (options.db === undefined) {
    throw new InvalidOptionsError('db is required: pass a Drizzle PostgreSQL database, e.g. drizzle(postgres(process.env.DATABASE_URL)) or drizzle(new PGlite())')
  }
  if (!isDrizzleDatabase(options.db)) throw new InvalidOptionsError('db is not a Drizzle PostgreSQL database (it has no execute/transaction/insert)')
  if (typeof options.source !== 'string' || options.source.length === 0) {
    throw new InvalidOptionsError('source is required: the name of this service, e.g. "order-service"')
  }
  if (options.bus !== undefined && !looksLikeBus(options.bus)) {
    throw new InvalidOptionsError('bus must implement MessageBus (start, stop, publish, subscribe, unsubscribe)')
  }
  if (options.events !== undefined && (!Array.isArray(options.events) || options.events.some((e) => typeof e?.type !== 'string' || typeof e.check !== 'function'))) {
    throw new InvalidOptionsError('events must be an array of definitions made with defineEvent()')
  }
  if (options.correlationHeader !== undefined && !/^[A-Za-z0-9-]{1,100}$/.test(options.correlationHeader)) {
    throw new InvalidOptionsError(`correlationHeader must be an HTTP header name, got ${JSON.stringify(options.correlationHeader)}`)
  }
  if (options.notify !== undefined && options.notify !== 'auto' && typeof options.notify !== 'boolean') {
    throw new InvalidOptionsError(`notify must be "auto", true or false, got ${JSON.stringify(options.notify)}`)
  }
}

function looksLikeBus (bus: unknown): bus is MessageBus {
  const candidate = bus as Partial<MessageBus> | null
  return candidate !== null && typeof candidate === 'object' &&
    ['start', 'stop', 'publish', 'subscribe', 'unsubscribe'].every((name) => typeof (candidate as Record<string, unknown>)[name] === 'function')
}

export const outboxPlugin = fp(fastifyOutbox, { fastify: '5.x', name: 'fastify-outbox' })
export default outboxPlugin
