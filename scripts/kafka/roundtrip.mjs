// Proves a Kafka broker works end to end (used by start.sh): creates a topic, produces one
// message with a key and a header, consumes it through a fresh consumer group, commits its
// offset, reads the commit back, deletes the topic. Prints one line; exits 1 on any failure.
//   node scripts/kafka/roundtrip.mjs 127.0.0.1:9092 [topic]
import { randomUUID } from 'node:crypto'
import { Admin, Consumer, Producer } from '@platformatic/kafka'

const [bootstrap = '127.0.0.1:9092', topic = `start-check-${process.pid}`] = process.argv.slice(2)
const TIMEOUT_MS = 20_000
const common = { clientId: 'start-check', bootstrapBrokers: [bootstrap], timeout: 5000, retries: 2, retryDelay: 250 }

const timer = setTimeout(() => {
  console.error(`no round trip through ${bootstrap} within ${TIMEOUT_MS} ms`)
  process.exit(1)
}, TIMEOUT_MS)

const started = Date.now()
const admin = new Admin(common)
const producer = new Producer(common)
const consumer = new Consumer({ ...common, groupId: `start-check-${randomUUID()}`, sessionTimeout: 6000, heartbeatInterval: 1000 })
try {
  await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 })
  const body = randomUUID()
  await producer.send({ messages: [{ topic, key: Buffer.from('k'), value: Buffer.from(body), headers: new Map([[Buffer.from('check'), Buffer.from('1')]]) }] })
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 200 })
  const message = await new Promise((resolve, reject) => {
    stream.once('data', resolve)
    stream.once('error', reject)
  })
  const headers = [...message.headers].map(([key, value]) => `${key}=${value}`).join(',')
  if (message.value.toString() !== body || message.key.toString() !== 'k' || headers !== 'check=1') {
    throw new Error(`read back something else: ${JSON.stringify(message.toJSON())}`)
  }
  await message.commit()
  const committed = await consumer.listCommittedOffsets({ topics: [{ topic, partitions: [0] }] })
  if (committed.get(topic)?.[0] !== 1n) throw new Error(`commit not stored: ${String(committed.get(topic))}`)
  await stream.close()
  console.log(`produce/consume/commit round trip on ${topic} in ${Date.now() - started} ms`)
} catch (err) {
  console.error(`round trip through ${bootstrap} failed: ${describe(err)}`)
  process.exitCode = 1
} finally {
  await consumer.close(true).catch(() => {})
  await admin.deleteTopics({ topics: [topic] }).catch(() => {})
  await producer.close().catch(() => {})
  await admin.close().catch(() => {})
  clearTimeout(timer)
}

/** The client wraps causes in AggregateErrors: the innermost messages say what went wrong. */
function describe (err) {
  const causes = err?.errors?.length > 0 ? `: ${err.errors.map(describe).join('; ')}` : ''
  return `${err?.message ?? err}${causes}`
}
