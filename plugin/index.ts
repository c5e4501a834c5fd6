/**
 * fastify-outbox: a transactional outbox, an inbox and a message bus for Fastify on Drizzle ORM
 * and PostgreSQL. The main entry: what an application on the in-memory bus needs. Transports,
 * database connectors and codecs have entry points of their own (fastify-outbox/pulsar,
 * /kafka, /postgres, /pglite, /avro, /cloudevents, /protobuf), so an application loads and
 * installs only what it uses. Internals are not exported.
 */
import './fastify/types.js'

// The Fastify plugin
export { outboxPlugin, outboxPlugin as default } from './fastify/plugin.js'
export type { FastifyOutboxOptions } from './fastify/options.js'
export type { MetricsOptions } from './metrics/register-metrics.js'
export type { FastifyOutbox } from './fastify/types.js'
export { correlatedRequestId } from './fastify/correlation.js'

// Events and envelopes
export { defineEvent, type EventDefinition, type PayloadOf } from './events/define-event.js'
export { createEnvelope, type MessageEnvelope } from './envelope/envelope.js'

// The bus port, its in-memory adapter and the default codec
export type { Delivery, EventSelector, MessageBus, MessageHandler, PublishOptions, SubscribeOptions } from './bus/bus.js'
export { MemoryBus, type MemoryBusOptions } from './bus/memory-bus.js'
export type { MessageCodec } from './codec/codec.js'
export { JsonCodec } from './codec/json-codec.js'

// Tables, migrations, the projector (to relay from a process of its own) and inbox handlers
export { createOutboxTables, inbox, outbox } from './tables.js'
export { outboxMigrations } from './migrations.js'
export { OutboxProjector, type ProjectorOptions } from './outbox/projector.js'
export type { InboxContext, InboxHandler } from './inbox/inbox.js'
export type { OutboxDatabase } from './database/database.js'
export type { OutboxLogger } from './logger.js'

// The errors an application catches (every error also has a stable `code`)
export {
  BusNotStartedError, BusStoppedError, DatabaseUnavailableError, DeadLetterError, InvalidOptionsError,
  InvalidPayloadError, NoTransactionError, StartTimeoutError
} from './errors.js'
