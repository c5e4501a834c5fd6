/**
 * fastify-outbox: a transactional outbox, an inbox and a message bus for Fastify, on Drizzle ORM,
 * PostgreSQL and Apache Pulsar. This is the public entry; everything users need is exported here.
 */
import './fastify/types.js'

// The Fastify plugin
export { outboxPlugin, outboxPlugin as default } from './fastify/plugin.js'
export type { FastifyOutboxOptions } from './fastify/options.js'
export type { MetricsOptions } from './metrics/register-metrics.js'
export type { FastifyOutbox } from './fastify/types.js'
export { RequestOutbox } from './fastify/request-outbox.js'
export { correlatedRequestId } from './fastify/correlation.js'

// Envelopes, events and codecs
export { createEnvelope, DEFAULT_EVENT_VERSION, type EnvelopeInput, type MessageEnvelope } from './envelope/envelope.js'
export { newEventId } from './envelope/event-id.js'
export { isEventName } from './envelope/event-name.js'
export { defineEvent, type CreateEventOptions, type DomainEvent, type EventDefinition, type EventDefinitionOptions, type PayloadOf } from './events/define-event.js'
export { EventCatalog } from './events/event-catalog.js'
export { toEnvelope, type EmitContext } from './events/to-envelope.js'
export type { MessageCodec } from './codec/codec.js'
export { JsonCodec, type JsonCodecOptions } from './codec/json-codec.js'

// The bus port and its in-memory adapter
export type { Delivery, EventSelector, MessageBus, MessageHandler, PublishOptions, SubscribeOptions } from './bus/bus.js'
export { AbstractBus, type BusOptions } from './bus/abstract-bus.js'
export { MemoryBus, type DeadLetter, type MemoryBusOptions } from './bus/memory-bus.js'
export type { ReplayDeadLettersOptions } from './bus/replay-options.js'

// Pulsar
export { PulsarBus, type PulsarBusOptions } from './pulsar/pulsar-bus.js'
export { describePulsarConfig, resolvePulsarConfig, topicFor, type PulsarConfig, type PulsarTlsConfig, type ResolvedPulsarConfig, type TopicPrefix } from './pulsar/config.js'
export { pulsarConfigFromEnv, PULSAR_ENV_VARIABLES, type PulsarEnvConfig } from './pulsar/config-env.js'
export { pulsarAdmin, type PulsarAdmin, type PulsarAdminOptions, type TopicStats } from './pulsar/admin.js'
export { defaultDeadLetterTopic, type DeadLetterTopicName } from './pulsar/dead-letter.js'
export { DEAD_LETTER_PROPERTY, PROPERTY as MESSAGE_PROPERTY } from './pulsar/message-properties.js'
export { DRIVER_CHOICES, type DriverChoice, type DriverName } from './pulsar/driver.js'
export type { SelectedDriver } from './pulsar/select-driver.js'
export type { BackoffOptions } from './pulsar/backoff.js'

// Outbox, projector, inbox, retention
export { createOutboxTables, inbox, outbox, OUTBOX_STATUSES, type InboxTable, type OutboxStatus, type OutboxTable, type OutboxTableNames, type OutboxTables } from './outbox/tables.js'
export { outboxMigrations } from './outbox/migrations.js'
export { Outbox, type InTransactionAddOptions, type OutboxOptions, type StandaloneAddOptions, type TransactionWork } from './outbox/outbox.js'
export { TransactionOutbox, type AddEventOptions } from './outbox/transaction-outbox.js'
export { OutboxProjector, type ProjectorOptions, type ProjectorStats } from './outbox/projector.js'
export { RetentionSweeper, type RetentionOptions } from './outbox/retention.js'
export type { BlockedKey, OutboxBacklog } from './outbox/statements/backlog.js'
export type { ReplaySelection } from './outbox/statements/maintenance.js'
export { Inbox, type InboxContext, type InboxHandler, type InboxOptions, type InboxStats, type InboxSubscribeOptions } from './inbox/inbox.js'

// Databases
export type { OutboxDatabase, OutboxTransaction } from './database/database.js'

// Errors and logging
export * from './errors.js'
export type { OutboxLogger } from './logger.js'
