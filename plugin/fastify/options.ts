import type { TSchema } from '@sinclair/typebox'
import type { MessageBus } from '../bus/bus.js'
import type { OutboxDatabase } from '../database/database.js'
import type { EventDefinition } from '../events/define-event.js'
import type { MetricsOptions } from '../metrics/register-metrics.js'
import type { ProjectorOptions } from '../outbox/projector.js'
import type { RetentionOptions } from '../outbox/retention.js'
import type { OutboxTables } from '../tables.js'

/** Options of the fastify-outbox plugin. */
export interface FastifyOutboxOptions {
  /** A Drizzle PostgreSQL database: `drizzle(postgres(url))`, `drizzle(new PGlite())`, ... Required. */
  db: OutboxDatabase
  /** This service's name: stamped on every event as `source`, and the default subscription name. Required. */
  source: string
  /**
   * The message bus. Default: an in-memory bus (one process only). The plugin starts it in
   * `onReady` and stops it in `onClose`.
   */
  bus?: MessageBus
  /** Event definitions this service emits or consumes: payloads are checked against them on both sides. */
  events?: Array<EventDefinition<string, TSchema>>
  /** The outbox and inbox tables, from createOutboxTables(); default `outbox` and `inbox`. */
  tables?: OutboxTables
  /**
   * The projector that publishes the outbox. `false` runs none in this process (another process
   * relays the table). Default: enabled with the projector's defaults.
   */
  projector?: false | Omit<ProjectorOptions, 'db' | 'bus' | 'table' | 'events' | 'catalog' | 'logger' | 'driverFastPaths'>
  /** Deleting old published rows and inbox marks. `false` to do it yourself. Default: enabled. */
  retention?: false | RetentionOptions
  /** Request header carrying the caller's correlation id; default `x-correlation-id`. */
  correlationHeader?: string
  /** Echo the correlation id in that response header; default true. */
  echoCorrelationId?: boolean
  /**
   * NOTIFY projectors in other processes after each commit that added events (coalesced).
   * Default "auto": only when this process runs no projector of its own.
   */
  notify?: 'auto' | boolean
  /**
   * The database driver's fast paths: the outbox INSERT prepared once, sent with COMMIT on
   * postgres-js, and LISTEN to wake the projector. `false` uses plain Drizzle statements and
   * polling, for when a driver or Drizzle upgrade breaks one of them. Default true.
   */
  driverFastPaths?: boolean
  /**
   * Prometheus metrics (needs the prom-client package): `true` serves them at `/metrics`, or
   * `{ registry, path, processMetrics }`. Default off.
   */
  metrics?: boolean | MetricsOptions
}
