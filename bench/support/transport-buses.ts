import { Admin } from '@platformatic/kafka'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { Redis } from 'ioredis'
import { MemoryBus, type MemoryBusOptions as BusOptions, type MessageBus } from 'fastify-outbox'
import { KafkaBus } from 'fastify-outbox/kafka'
import { NatsBus } from 'fastify-outbox/nats'
import { RedisBus } from 'fastify-outbox/redis'
import { pino } from 'pino'
import { benchPulsarBus, deleteTopics } from './broker.js'

/** The transports the benchmarks compare side by side, each on the machine's shared server. */
export const TRANSPORTS = ['pulsar', 'kafka', 'redis', 'nats', 'memory'] as const
export type Transport = typeof TRANSPORTS[number]

const KAFKA_BROKERS = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

/**
 * Buses on each transport under names of one run's own (a topic, key or subject prefix), and
 * what they left on the servers removed at the end.
 */
export class TransportBuses {
  readonly #run: string
  readonly #pulsarTopics = new Set<string>()

  constructor (run: string) {
    this.#run = run
  }

  bus (transport: Transport, options: Partial<BusOptions> & { source: string }): MessageBus {
    const common = { logger: pino({ level: 'silent' }), ...options }
    switch (transport) {
      case 'pulsar': return benchPulsarBus(options.source, common)
      case 'kafka': return new KafkaBus({ ...common, brokers: KAFKA_BROKERS, topicPrefix: `bench-${this.#run}.` })
      case 'redis': return new RedisBus({ ...common, url: REDIS_URL, keyPrefix: `bench-${this.#run}:` })
      case 'nats': return new NatsBus({ ...common, servers: NATS_URL, prefix: `bench_${this.#run}` })
      case 'memory': return new MemoryBus(common)
    }
  }

  /** A topic the run used on Pulsar, deleted at the end. */
  usedPulsarTopic (topic: string): void {
    this.#pulsarTopics.add(topic)
  }

  /** Removes the run's topics, keys and streams from every server (best effort). */
  async cleanUp (): Promise<void> {
    await deleteTopics(this.#pulsarTopics)
    await Promise.allSettled([this.#kafka(), this.#redis(), this.#nats()])
  }

  async #kafka (): Promise<void> {
    const admin = new Admin({ clientId: 'bench-cleanup', bootstrapBrokers: [KAFKA_BROKERS] })
    try {
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(`bench-${this.#run}.`))
      if (topics.length > 0) await admin.deleteTopics({ topics })
    } finally {
      await admin.close()
    }
  }

  async #redis (): Promise<void> {
    const redis = new Redis(REDIS_URL)
    try {
      for await (const keys of redis.scanStream({ match: `bench-${this.#run}:*`, count: 500 })) {
        if ((keys as string[]).length > 0) await redis.del(...(keys as string[]))
      }
    } finally {
      redis.disconnect()
    }
  }

  async #nats (): Promise<void> {
    const nc = await connect({ servers: NATS_URL })
    try {
      const jsm = await jetstreamManager(nc)
      for await (const name of jsm.streams.names()) if (name.startsWith(`bench_${this.#run}_`)) await jsm.streams.delete(name)
    } finally {
      await nc.close()
    }
  }
}
