import type { FastifyInstance } from 'fastify'
import { setTimeout as delay } from 'node:timers/promises'
import { pino } from 'pino'
import { openEmbedded } from 'fastify-outbox/pglite'
import { openPostgres } from 'fastify-outbox/postgres'
import type { DatabaseHandle } from 'fastify-outbox/postgres'
import type { MessageBus } from 'fastify-outbox'
import { PulsarBus } from 'fastify-outbox/pulsar'
import { buildOrderService } from './app.js'
import { createBus } from './bus.js'
import { readServiceConfig, type ServiceConfig } from './config.js'
import { migrateOrderService } from './migrations.js'
import { seedStock } from './seed.js'

/**
 * Ways to run the service with more around it (the chaos run's instrumented instances,
 * scripts/chaos/instance/); `npm start` uses none.
 */
export interface ServiceExtensions {
  /** Wraps the bus before the service uses it. */
  wrapBus?: (bus: MessageBus) => MessageBus
  /** Runs once the routes and handlers are registered, before the service is ready and listens. */
  extend?: (app: FastifyInstance) => Promise<void>
}

async function openDatabase (config: ServiceConfig): Promise<DatabaseHandle> {
  if (config.databaseUrl !== null) return openPostgres({ url: config.databaseUrl, applicationName: 'order-service' })
  return await openEmbedded(config.pgliteDataDir === null ? {} : { dataDir: config.pgliteDataDir })
}

/** Reads the environment, opens the database and the bus, and serves until a signal stops it. */
export async function startOrderService (extensions: ServiceExtensions = {}): Promise<void> {
  const config = readServiceConfig()
  const logger = pino({ level: config.logLevel })
  // Bad PULSAR_* values fail here, before anything is opened.
  const bus = createBus(config, logger)
  // Which Pulsar driver runs and why belongs in the first line: `auto` depends on the machine.
  const driver = bus.bus instanceof PulsarBus ? await bus.bus.selectDriver() : null
  const database = await openDatabase(config)
  await migrateOrderService(database)
  await seedStock(database.db)

  const app = await buildOrderService({
    db: database.db,
    bus: extensions.wrapBus?.(bus.bus) ?? bus.bus,
    loggerInstance: logger,
    projector: config.projector ? projectorOptions(config) : false,
    ...(config.boardToken === null ? {} : { boardToken: config.boardToken })
  })
  await extensions.extend?.(app)
  app.log.info({ database: database.description, bus: bus.description, ...(driver === null ? {} : { driver }) },
    database.kind === 'pglite' && bus.embedded
      ? 'Embedded mode: in-process PostgreSQL (PGlite) and the in-memory bus. Set DATABASE_URL and PULSAR_URL to use real services'
      : `Order service using real services${driver === null ? '' : `, Pulsar over the ${driver.name} driver (${driver.reason})`}`)
  stopGracefullyOnSignals(app, database, config)
  await app.listen({ port: config.port, host: config.host })
}

function projectorOptions (config: ServiceConfig): { leaseMs?: number, pollIntervalMs?: number } {
  return {
    ...(config.outboxLeaseMs === null ? {} : { leaseMs: config.outboxLeaseMs }),
    ...(config.outboxPollMs === null ? {} : { pollIntervalMs: config.outboxPollMs })
  }
}

/**
 * First SIGINT/SIGTERM: mark the service not ready, wait STOP_DELAY_MS, stop the projector and the bus (handlers
 * drain) while HTTP still answers, so /health/live stays true and /health/ready false for as long
 * as that takes; then close HTTP (in-flight requests finish) and the database. Second signal: exit
 * now. A stop that takes longer than `timeoutMs` exits too: whatever was not finished is still
 * in the outbox or unacknowledged at the broker, so nothing is lost, only delayed.
 */
function stopGracefullyOnSignals (app: FastifyInstance, database: DatabaseHandle, { shutdownTimeoutMs: timeoutMs, stopDelayMs }: ServiceConfig): void {
  let stopping = false
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      app.log.warn({ signal }, 'Second signal: exiting without waiting')
      process.exit(1)
    }
    stopping = true
    app.log.info({ signal, timeoutMs }, 'Stopping gracefully (send the signal again to force)')
    setTimeout(() => {
      app.log.error({ timeoutMs }, 'Graceful stop did not finish in time; exiting')
      process.exit(1)
    }, timeoutMs).unref()
    app.readiness.markStopping()
    delay(stopDelayMs)
      .then(async () => await stopMessaging(app))
      .then(async () => await app.close())
      .then(async () => await database.close())
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        app.log.error({ err }, 'Graceful stop failed')
        process.exit(1)
      })
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
}

/**
 * The outbox work of a stop, before HTTP closes: the projector finishes its batch, the bus lets
 * running handlers finish. app.close() stops them again, which does nothing the second time.
 * Orders still accepted meanwhile are committed to the outbox and relayed by another instance or
 * the next start.
 */
async function stopMessaging (app: FastifyInstance): Promise<void> {
  await app.outbox.projector?.stop()
  await app.outbox.retention?.stop()
  await app.bus.stop()
}

/** How the service says it could not start: the error's name, code and message, then exit 1. */
export function exitOnStartFailure (err: unknown): never {
  console.error(err instanceof Error ? `${err.name} [${(err as { code?: string }).code ?? 'ERROR'}]: ${err.message}` : err)
  process.exit(1)
}
