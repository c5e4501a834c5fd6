import { Admin } from '@platformatic/kafka'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { Redis } from 'ioredis'
import { KafkaInstance } from '../../test/support/kafka-instance.js'
import { NatsInstance } from '../../test/support/nats-instance.js'
import { RedisInstance } from '../../test/support/redis-instance.js'
import { ChaosBroker } from './broker.js'
import { LEDGER_SUBSCRIPTION } from './instance/ledger-consumer.js'
import { ChaosNamespace } from './namespace.js'

/** The transports a chaos run can put under the demo (--bus). */
export const CHAOS_BUSES = ['pulsar', 'kafka', 'redis', 'nats'] as const
export type ChaosBus = typeof CHAOS_BUSES[number]

/**
 * The broker of a chaos run, whatever the transport: a server of the run's own (never the
 * shared one), a place of the run's own on it (a namespace or a name prefix), the variables that
 * point the demo at it, a restart on the same data, and the dead letters counted at the end.
 */
export interface ChaosTransport {
  readonly bus: ChaosBus
  /** What runs where, for the progress lines. */
  readonly description: string
  /** The run's Pulsar broker, for the network faults (Pulsar only). */
  readonly pulsar: ChaosBroker | null
  /** Starts the server on empty data; resolves with the seconds it took. */
  start (): Promise<number>
  /** Makes the run's own place on it and starts counting dead letters. */
  prepare (): Promise<void>
  /** The demo's environment for this transport. */
  serviceEnv (): Record<string, string>
  /** Stops it (data kept) and starts it again; resolves with the seconds it took. */
  restart (): Promise<number>
  /** Messages parked in the dead letters of the demo's subscriptions and the run's ledger consumer. */
  deadLettered (): Promise<number>
  /** Copies the server's log into `folder`, for a failed run. */
  keepLogs (folder: string): Promise<void>
  /** Stops the server and deletes its data. Idempotent. */
  destroy (): Promise<void>
}

/** The demo's subscriptions and the topics they read, with the run's ledger consumer on both. */
const SUBSCRIPTIONS: ReadonlyArray<readonly [topic: string, subscription: string]> = [
  ['order-events', 'inventory'], ['inventory-events', 'order-service'], ['order-events', LEDGER_SUBSCRIPTION], ['inventory-events', LEDGER_SUBSCRIPTION]
]

/**
 * How soon a killed instance's messages go to the other one (Redis consumer timeout, NATS ack
 * wait): the defaults (30 s) outlast the quick run's drain; 10 s stays far above a handler's time.
 */
const TAKEOVER_MS = '10000'

export async function chaosTransport (bus: ChaosBus, runId: string, stopTimeout: number): Promise<ChaosTransport> {
  switch (bus) {
    case 'pulsar': return await pulsarTransport(runId, stopTimeout)
    case 'kafka': return await kafkaTransport(runId)
    case 'redis': return await redisTransport(runId)
    case 'nats': return await natsTransport(runId)
  }
}

async function pulsarTransport (runId: string, stopTimeout: number): Promise<ChaosTransport> {
  const broker = await ChaosBroker.prepare(stopTimeout)
  const namespace = new ChaosNamespace(broker.admin(), `chaos-${runId}`)
  return {
    bus: 'pulsar',
    description: `pulsar instance ${broker.name} (${broker.ports}), namespace public/${namespace.name}`,
    pulsar: broker,
    start: async () => await broker.start(),
    prepare: async () => {
      await namespace.create()
      await namespace.watchDeadLetters()
    },
    serviceEnv: () => ({ BUS: 'pulsar', PULSAR_URL: broker.serviceUrl, PULSAR_WEB_URL: broker.webUrl, PULSAR_NAMESPACE: namespace.name }),
    restart: async () => await broker.restart(),
    deadLettered: async () => await namespace.deadLettered(),
    keepLogs: async (folder) => { await broker.keepLogs(folder) },
    destroy: async () => {
      await namespace.delete().catch(() => {})
      await broker.destroy()
    }
  }
}

async function kafkaTransport (runId: string): Promise<ChaosTransport> {
  const node = await KafkaInstance.create('chaos')
  const prefix = `chaos-${runId}.`
  const dlqs = SUBSCRIPTIONS.map(([topic, subscription]) => `${prefix}${topic}-${subscription}-DLQ`)
  return {
    bus: 'kafka',
    description: `kafka node ${node.name} (${node.brokers}), topics ${prefix}*`,
    pulsar: null,
    start: async () => await node.start(),
    prepare: async () => {},
    serviceEnv: () => ({ BUS: 'kafka', KAFKA_BROKERS: node.brokers, KAFKA_TOPIC_PREFIX: prefix }),
    restart: async () => await seconds(async () => {
      await node.stop({ keepData: true })
      await node.start()
    }),
    deadLettered: async () => {
      const admin = new Admin({ clientId: 'chaos-dead-letters', bootstrapBrokers: [node.brokers] })
      try {
        let total = 0
        for (const topic of dlqs) {
          const metadata = await admin.metadata({ topics: [topic] }).catch(() => null)
          const partitions = metadata?.topics.get(topic)?.partitionsCount ?? 0
          if (partitions === 0) continue
          const [listed] = await admin.listOffsets({ topics: [{ name: topic, partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })) }] })
          for (const partition of listed?.partitions ?? []) total += Number(partition.offset)
        }
        return total
      } finally {
        await admin.close()
      }
    },
    keepLogs: async () => {},
    destroy: async () => { await node.destroy() }
  }
}

async function redisTransport (runId: string): Promise<ChaosTransport> {
  const server = await RedisInstance.create()
  const prefix = `chaos-${runId}:`
  return {
    bus: 'redis',
    description: `redis-server on ${server.url}, keys ${prefix}*`,
    pulsar: null,
    start: async () => await seconds(async () => { await server.start() }),
    prepare: async () => {},
    serviceEnv: () => ({ BUS: 'redis', REDIS_URL: server.url, REDIS_KEY_PREFIX: prefix, REDIS_CONSUMER_TIMEOUT_MS: TAKEOVER_MS }),
    restart: async () => await seconds(async () => {
      await server.stop()
      await server.start()
    }),
    deadLettered: async () => {
      const redis = new Redis(server.url)
      try {
        let total = 0
        for (const [topic, subscription] of SUBSCRIPTIONS) total += await redis.xlen(`${prefix}${topic}:dlq:${subscription}`)
        return total
      } finally {
        redis.disconnect()
      }
    },
    keepLogs: async () => {},
    destroy: async () => { await server.destroy() }
  }
}

async function natsTransport (runId: string): Promise<ChaosTransport> {
  const server = await NatsInstance.create()
  const prefix = `chaos_${runId}`
  return {
    bus: 'nats',
    description: `nats-server on ${server.url}, streams ${prefix}_*`,
    pulsar: null,
    start: async () => await seconds(async () => { await server.start() }),
    prepare: async () => {},
    serviceEnv: () => ({ BUS: 'nats', NATS_URL: server.url, NATS_PREFIX: prefix, NATS_ACK_WAIT_MS: TAKEOVER_MS }),
    restart: async () => await seconds(async () => {
      await server.stop()
      await server.start()
    }),
    deadLettered: async () => {
      const nc = await connect({ servers: server.url })
      try {
        const jsm = await jetstreamManager(nc)
        let total = 0
        for (const topic of ['order-events', 'inventory-events']) {
          total += await jsm.streams.info(`${prefix}_${topic}_DLQ`).then((info) => info.state.messages, () => 0)
        }
        return total
      } finally {
        await nc.close()
      }
    },
    keepLogs: async () => {},
    destroy: async () => { await server.destroy() }
  }
}

/** How long `work` took, in seconds. */
async function seconds (work: () => Promise<void>): Promise<number> {
  const started = Date.now()
  await work()
  return (Date.now() - started) / 1000
}
