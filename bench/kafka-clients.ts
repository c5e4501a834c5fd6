/**
 * The two pure-JavaScript Kafka clients side by side on the real broker, in one run, rounds
 * interleaved (A B A B …), 1 KB values with a key and three headers each:
 * - batched sends: what a projector's batch becomes, 200 messages per send call, one call at a time;
 * - single sends: one message per call, up to 200 calls in flight (on a tenth of the messages):
 *   the broker answers a connection's requests one at a time, so this shows the cost of not
 *   batching;
 * - a consumer group reading the batched topic back, committing offsets every 500 messages.
 * CPU time of this process per 1000 messages beside each rate. Prints one JSON line. The choice
 * it informed is in scripts/kafka/README.md.
 *
 *   npx tsx bench/kafka-clients.ts [--messages 20000] [--rounds 3] [--brokers 127.0.0.1:9092]
 */
import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { Admin, Consumer, Producer } from '@platformatic/kafka'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import { median, round } from './support/stats.js'

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' }
  }
})
const MESSAGES = Number(values.messages)
const ROUNDS = Number(values.rounds)
const BROKERS = values.brokers.split(',')
const IN_FLIGHT = 200
const COMMIT_EVERY = 500
const PARTITIONS = 4

interface Message { key: Buffer, value: Buffer, headers: Array<[string, Buffer]> }
interface Figures {
  batchedRate: number
  batchedCpuMsPer1000: number
  singleRate: number
  singleCpuMsPer1000: number
  consumeRate: number
  consumeCpuMsPer1000: number
  firstMessageMs: number
}
type Client = (topic: string, messages: readonly Message[]) => Promise<Figures>

const log = (text: string): void => { process.stderr.write(`  ${text}\n`) }

function workload (count: number): Message[] {
  const value = randomBytes(1024)
  return Array.from({ length: count }, (_, i) => ({
    key: Buffer.from(`key-${i % 100}`),
    value,
    headers: [['event_id', Buffer.from(`id-${i}`)], ['event_type', Buffer.from('bench.ThingHappened')], ['content_type', Buffer.from('application/json')]]
  }))
}

/** Runs `work` over `count` messages; returns messages per second and CPU ms per 1000. */
async function timed (count: number, work: () => Promise<void>): Promise<{ rate: number, cpuMsPer1000: number, ms: number }> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  await work()
  const ms = performance.now() - started
  const used = process.cpuUsage(cpu)
  return { rate: count / (ms / 1000), cpuMsPer1000: (used.user + used.system) / 1000 / (count / 1000), ms }
}

/** Produces messages[i] for every i: single sends IN_FLIGHT at a time, or batches of IN_FLIGHT one at a time. */
async function produce (messages: readonly Message[], single: boolean, send: (batch: readonly Message[]) => Promise<unknown>): Promise<void> {
  if (!single) {
    for (let i = 0; i < messages.length; i += IN_FLIGHT) await send(messages.slice(i, i + IN_FLIGHT))
    return
  }
  let next = 0
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < messages.length) await send([messages[next++]!])
  }))
}

/** Both produce modes: the batched one on the whole workload (the topic the consumer reads), single sends on a tenth. */
async function produceBoth (messages: readonly Message[], send: (batch: readonly Message[]) => Promise<unknown>): Promise<Pick<Figures, 'batchedRate' | 'batchedCpuMsPer1000' | 'singleRate' | 'singleCpuMsPer1000'>> {
  const batched = await timed(messages.length, async () => await produce(messages, false, send))
  const few = messages.slice(0, Math.ceil(messages.length / 10))
  const single = await timed(few.length, async () => await produce(few, true, send))
  return { batchedRate: batched.rate, batchedCpuMsPer1000: batched.cpuMsPer1000, singleRate: single.rate, singleCpuMsPer1000: single.cpuMsPer1000 }
}

const platformatic: Client = async (topic, messages) => {
  const common = { clientId: 'bench', bootstrapBrokers: BROKERS }
  const producer = new Producer(common)
  const produced = await produceBoth(messages, async (batch) => await producer.send({
    messages: batch.map((m) => ({ topic, key: m.key, value: m.value, headers: new Map(m.headers.map(([k, v]) => [Buffer.from(k), v])) }))
  }))
  await producer.close()
  const consumer = new Consumer({ ...common, groupId: `bench-${topic}` })
  let firstMessageMs = 0
  const consumed = await timed(messages.length, async () => {
    const started = performance.now()
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 })
    const pending = new Map<number, bigint>()
    let seen = 0
    // The topic holds the batched messages and the single-send tenth: read as many as the batched run sent.
    for await (const message of stream) {
      if (seen === 0) firstMessageMs = performance.now() - started
      pending.set(message.partition, message.offset + 1n)
      if (++seen % COMMIT_EVERY === 0 || seen === messages.length) {
        await consumer.commit({ offsets: [...pending].map(([partition, offset]) => ({ topic, partition, offset, leaderEpoch: 0 })) })
        pending.clear()
      }
      if (seen === messages.length) break
    }
  })
  await consumer.close(true)
  return { ...produced, consumeRate: consumed.rate, consumeCpuMsPer1000: consumed.cpuMsPer1000, firstMessageMs }
}

const kafkajs: Client = async (topic, messages) => {
  const kafka = new Kafka({ clientId: 'bench', brokers: BROKERS, logLevel: logLevel.ERROR })
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  const produced = await produceBoth(messages, async (batch) => await producer.send({
    topic,
    acks: -1,
    messages: batch.map((m) => ({ key: m.key, value: m.value, headers: Object.fromEntries(m.headers) }))
  }))
  await producer.disconnect()
  const consumer = kafka.consumer({ groupId: `bench-${topic}` })
  let firstMessageMs = 0
  const consumed = await timed(messages.length, async () => {
    const started = performance.now()
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    // The topic holds the batched messages and the single-send tenth: read as many as the batched run sent.
    await new Promise<void>((resolve, reject) => {
      const pending = new Map<number, string>()
      let seen = 0
      consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (seen === 0) firstMessageMs = performance.now() - started
          pending.set(partition, (BigInt(message.offset) + 1n).toString())
          if (++seen % COMMIT_EVERY === 0 || seen === messages.length) {
            await consumer.commitOffsets([...pending].map(([p, offset]) => ({ topic, partition: p, offset })))
            pending.clear()
          }
          if (seen === messages.length) resolve()
        }
      }).catch(reject)
    })
  })
  await consumer.disconnect()
  return { ...produced, consumeRate: consumed.rate, consumeCpuMsPer1000: consumed.cpuMsPer1000, firstMessageMs }
}

const clients: Record<string, Client> = { platformatic, kafkajs }
const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: BROKERS })
const messages = workload(MESSAGES)
const results: Record<string, Figures[]> = { platformatic: [], kafkajs: [] }
const topics: string[] = []
try {
  for (let r = 0; r < ROUNDS; r++) {
    // Alternate who goes first, so neither always meets a warmer broker.
    const order = r % 2 === 0 ? ['platformatic', 'kafkajs'] : ['kafkajs', 'platformatic']
    for (const name of order) {
      const topic = `bench-clients-${name}-${Date.now().toString(36)}-${r}`
      topics.push(topic)
      await admin.createTopics({ topics: [topic], partitions: PARTITIONS, replicas: 1 })
      const figures = await clients[name]!(topic, messages)
      results[name]!.push(figures)
      log(`round ${r + 1} ${name}: ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, round(v)])))}`)
    }
  }
} finally {
  await admin.deleteTopics({ topics }).catch(() => {})
  await admin.close()
}
const summary = (name: string): Record<string, number | null> => {
  const fields = Object.keys(results[name]![0] ?? {}) as Array<keyof Figures>
  return Object.fromEntries(fields.map((field) => [field, round(median(results[name]!.map((f) => f[field])))]))
}
process.stdout.write(`${JSON.stringify({ benchmark: 'kafka-clients', messages: MESSAGES, rounds: ROUNDS, partitions: PARTITIONS, inFlight: IN_FLIGHT, commitEvery: COMMIT_EVERY, platformatic: summary('platformatic'), kafkajs: summary('kafkajs'), at: new Date().toISOString() })}\n`)
