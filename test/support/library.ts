/**
 * What the tests reach: the public entry points' names and the internals they check directly
 * (the package itself exports only the entry points; see test/package/public-api.test.ts).
 */
import '../../plugin/fastify/types.js'

// The Fastify plugin
export { outboxPlugin, outboxPlugin as default } from '../../plugin/fastify/plugin.js'
export type { FastifyOutboxOptions } from '../../plugin/fastify/options.js'
export type { MetricsOptions } from '../../plugin/metrics/register-metrics.js'
export type { FastifyOutbox } from '../../plugin/fastify/types.js'
export { RequestOutbox } from '../../plugin/fastify/request-outbox.js'
export { correlatedRequestId } from '../../plugin/fastify/correlation.js'

// Envelopes, events and codecs
export { createEnvelope, DEFAULT_EVENT_VERSION, type EnvelopeInput, type MessageEnvelope } from '../../plugin/envelope/envelope.js'
export { newEventId } from '../../plugin/envelope/event-id.js'
export { isEventName } from '../../plugin/envelope/event-name.js'
export { defineEvent, type CreateEventOptions, type DomainEvent, type EventDefinition, type EventDefinitionOptions, type PayloadOf } from '../../plugin/events/define-event.js'
export { EventCatalog } from '../../plugin/events/event-catalog.js'
export { toEnvelope, type EmitContext } from '../../plugin/events/to-envelope.js'
export type { MessageCodec } from '../../plugin/codec/codec.js'
export { JsonCodec, type JsonCodecOptions } from '../../plugin/codec/json-codec.js'

// The bus port and its in-memory adapter
export type { Delivery, EventSelector, MessageBus, MessageHandler, PublishOptions, SubscribeOptions } from '../../plugin/bus/bus.js'
export { AbstractBus, type BusOptions } from '../../plugin/bus/abstract-bus.js'
export { MemoryBus, type DeadLetter, type MemoryBusOptions } from '../../plugin/bus/memory-bus.js'
export type { ReplayDeadLettersOptions } from '../../plugin/bus/replay-options.js'

// Pulsar
export { PulsarBus, type PulsarBusOptions } from '../../plugin/pulsar/pulsar-bus.js'
export { describePulsarConfig, resolvePulsarConfig, topicFor, type PulsarConfig, type PulsarTlsConfig, type ResolvedPulsarConfig, type TopicPrefix } from '../../plugin/pulsar/config.js'
export { pulsarConfigFromEnv, PULSAR_ENV_VARIABLES, type PulsarEnvConfig } from '../../plugin/pulsar/config-env.js'
export { pulsarAdmin, type PulsarAdmin, type PulsarAdminOptions, type TopicStats } from '../../plugin/pulsar/admin.js'
export { defaultDeadLetterTopic, type DeadLetterTopicName } from '../../plugin/pulsar/dead-letter.js'
export { DEAD_LETTER_PROPERTY, PROPERTY as MESSAGE_PROPERTY } from '../../plugin/bus/message-properties.js'
export { DRIVER_CHOICES, type DriverChoice, type DriverName } from '../../plugin/pulsar/driver.js'
export type { SelectedDriver } from '../../plugin/pulsar/select-driver.js'
export type { BackoffOptions } from '../../plugin/time/backoff.js'
export * from '../../plugin/pulsar/errors.js'

// Outbox, projector, inbox, retention
export { createOutboxTables, inbox, outbox, type OutboxTableNames, type OutboxTables } from '../../plugin/tables.js'
export { OUTBOX_STATUSES, type OutboxStatus, type OutboxTable } from '../../plugin/outbox/tables.js'
export type { InboxTable } from '../../plugin/inbox/tables.js'
export { outboxMigrations } from '../../plugin/migrations.js'
export { Outbox, type InTransactionAddOptions, type OutboxOptions, type StandaloneAddOptions, type TransactionWork } from '../../plugin/outbox/outbox.js'
export { TransactionOutbox, type AddEventOptions } from '../../plugin/outbox/transaction-outbox.js'
export { OutboxProjector, type ProjectorOptions, type ProjectorStats } from '../../plugin/outbox/projector.js'
export { RetentionSweeper, type RetentionOptions } from '../../plugin/outbox/retention.js'
export type { BlockedKey, OutboxBacklog } from '../../plugin/outbox/statements/backlog.js'
export type { ReplaySelection } from '../../plugin/outbox/statements/maintenance.js'
export { Inbox, type InboxContext, type InboxHandler, type InboxOptions, type InboxStats, type InboxSubscribeOptions } from '../../plugin/inbox/inbox.js'
export type { HandledEventIds, TransactionRunner } from '../../plugin/inbox/transaction-runner.js'

// Databases
export type { OutboxDatabase, OutboxTransaction } from '../../plugin/database/database.js'

// Errors and logging
export * from '../../plugin/errors.js'
export type { OutboxLogger } from '../../plugin/logger.js'
export { declareOutageCodes, isTransportOutage } from '../../plugin/bus/outage.js'
