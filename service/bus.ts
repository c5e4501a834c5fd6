import { describePulsarConfig, PULSAR_ENV_VARIABLES, pulsarConfigFromEnv, PulsarBus } from 'fastify-outbox/pulsar'
import { InvalidOptionsError, JsonCodec, MemoryBus, type MessageBus, type OutboxLogger } from 'fastify-outbox'
import { AvroCodec } from 'fastify-outbox/avro'
import { kafkaConfigFromEnv, KafkaBus } from 'fastify-outbox/kafka'
import { natsConfigFromEnv, NatsBus } from 'fastify-outbox/nats'
import { redisConfigFromEnv, RedisBus } from 'fastify-outbox/redis'
import { SERVICE_NAME } from './app.js'
import { demoEvents } from './events.js'
import type { ServiceConfig } from './config.js'

export interface ServiceBus {
  bus: MessageBus
  description: string
  /** True for the in-memory bus of the embedded default. */
  embedded: boolean
}

/**
 * Handlers run at once per subscription. Each holds a database connection for its whole
 * transaction, and the demo's two subscriptions must leave some of the pool (10 connections) to
 * HTTP requests and the projector: with the bus's default of 32, inventory handlers queued on the same
 * stock rows took the whole pool while a backlog drained, and creating an order waited seconds
 * (found by npm run chaos). The reservations serialize on those rows anyway, so 4 loses nothing.
 */
export const HANDLERS_PER_SUBSCRIPTION = 4

/**
 * The transport config.bus names (BUS, or the one whose variable is set): Pulsar (the PULSAR_*
 * variables configure it), Kafka (KAFKA_*), Redis (REDIS_*), NATS JetStream (NATS_*), else the
 * in-memory bus.
 * Events are written with OUTBOX_CODEC (Avro on Pulsar by default) and read in either codec; on
 * Pulsar each topic's schema is registered in the broker's schema registry, so consumers in other
 * languages read the demo's topics with typed schemas.
 * Failing handlers are retried after 200 ms, doubling, up to 5 redeliveries, then dead-lettered.
 */
export function createBus (config: ServiceConfig, logger: OutboxLogger, env: NodeJS.ProcessEnv = process.env): ServiceBus {
  const json = new JsonCodec()
  const codec = config.codec === 'avro' ? new AvroCodec({ events: demoEvents }) : json
  const common = { source: SERVICE_NAME, logger, retryDelayMs: 200, maxRedeliveries: 5, concurrency: HANDLERS_PER_SUBSCRIPTION, codec, codecs: [json] }
  switch (config.bus) {
    case 'kafka': {
      const kafka = kafkaConfigFromEnv(env)
      return { bus: new KafkaBus({ ...common, ...kafka }), description: `kafka (${String(kafka.brokers)}, ${config.codec})`, embedded: false }
    }
    case 'redis': {
      const bus = new RedisBus({ ...common, ...redisConfigFromEnv(env) })
      return { bus, description: `redis (${bus.settings.safeUrl}, ${config.codec})`, embedded: false }
    }
    case 'nats': {
      const bus = new NatsBus({ ...common, ...natsConfigFromEnv(env) })
      return { bus, description: `nats (${bus.settings.safeServers}, ${config.codec})`, embedded: false }
    }
    case 'pulsar': break
    case 'memory': return memoryBus(common, env)
  }
  const pulsar = pulsarConfigFromEnv(env)
  return { bus: new PulsarBus({ ...common, ...pulsar, schemaRegistry: true, driver: config.pulsarDriver }), description: `pulsar (${describePulsarConfig(pulsar)}, ${config.codec})`, embedded: false }
}

function memoryBus (common: ConstructorParameters<typeof MemoryBus>[0], env: NodeJS.ProcessEnv): ServiceBus {
  // PULSAR_TLS_ENABLED=true without PULSAR_URL is a forgotten URL: events would silently stay in this process.
  const stray = PULSAR_ENV_VARIABLES.filter((name) => name !== 'PULSAR_URL' && (env[name] ?? '').trim() !== '')
  if (stray.length > 0) {
    throw new InvalidOptionsError(`${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set but PULSAR_URL is not, so the in-memory bus would run and ignore ${stray.length === 1 ? 'it' : 'them'}: set PULSAR_URL (e.g. pulsar://localhost:6650) to use Pulsar, or unset ${stray.join(', ')}`)
  }
  return { bus: new MemoryBus(common), description: 'memory', embedded: true }
}
