import { Admin, Consumer, Producer, type Message } from '@platformatic/kafka'
import type { Test } from 'tap'
import { Mailbox } from '../../support/mailbox.js'
import { uniqueName } from '../../support/unique-name.js'

/** The Kafka broker the tests run against: KAFKA_BROKERS, else the one of `bash scripts/kafka/start.sh`. */
export const kafkaBrokers = process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'

/**
 * Why the Kafka tests are skipped, or false to run them. Skipped only when asked
 * (KAFKA_TESTS=skip); a broker that does not answer fails the file, loudly.
 */
export async function kafkaSkipReason (): Promise<string | false> {
  if (process.env.KAFKA_TESTS === 'skip') return 'KAFKA_TESTS=skip is set'
  const admin = new Admin({ clientId: 'test-check', bootstrapBrokers: kafkaBrokers.split(','), timeout: 3000, retries: 1 })
  try {
    await admin.metadata({ topics: [] })
  } catch (err) {
    throw new Error(`The Kafka tests need a broker at ${kafkaBrokers}: ${(err as Error).message}\n` +
      'Start one with `bash scripts/kafka/start.sh` (or point KAFKA_BROKERS at one), or set KAFKA_TESTS=skip to skip them on purpose.')
  } finally {
    await admin.close()
  }
  return false
}

/** A record as a plain consumer reads it. */
export interface RawRecord {
  readonly key: string | null
  readonly value: Buffer
  readonly headers: Record<string, string>
}

const text = (data?: Buffer): string => data?.toString() ?? ''
const bytes = (data?: Buffer): Buffer => data ?? Buffer.alloc(0)

/** A consumer group of its own on a topic, outside any bus, from the earliest record: what is really on the broker. */
export async function rawKafkaReader (t: Test, topic: string, brokers = kafkaBrokers): Promise<Mailbox<RawRecord>> {
  const consumer = new Consumer<string, Buffer, string, string>({
    clientId: 'test-reader',
    groupId: uniqueName('reader'),
    bootstrapBrokers: brokers.split(','),
    deserializers: { key: text, value: bytes, headerKey: text, headerValue: text }
  })
  t.teardown(async () => { await consumer.close(true) })
  const mailbox = new Mailbox<RawRecord>()
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: true, maxWaitTime: 200 })
  stream.on('data', (message: Message<string, Buffer, string, string>) => {
    mailbox.put({ key: message.key === '' ? null : message.key, value: message.value, headers: Object.fromEntries(message.headers) })
  })
  return mailbox
}

/** Produces raw bytes onto a topic as a foreign producer would. */
export async function produceRaw (topic: string, value: Buffer, key: string | null, brokers = kafkaBrokers): Promise<void> {
  const producer = new Producer({ clientId: 'test-foreign', bootstrapBrokers: brokers.split(',') })
  try {
    await producer.send({ messages: [{ topic, value, ...(key === null ? {} : { key: Buffer.from(key) }) }] })
  } finally {
    await producer.close()
  }
}
