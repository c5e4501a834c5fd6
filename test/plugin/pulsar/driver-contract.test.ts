import t, { type Test } from 'tap'
import { resolvePulsarConfig, type ResolvedPulsarConfig } from '../../support/library.js'
import type { DriverOptions, PulsarConsumer, PulsarDriver, PulsarProducer, ReceivedMessage, ConsumerOptions } from '../../../plugin/pulsar/driver.js'
import { topicFor } from '../../../plugin/pulsar/config.js'
import { admin, brokerConfig, brokerSkipReason, uniqueName } from './broker.js'
import { Mailbox } from '../../support/mailbox.js'
import { driverUnderTest, makeTestDriver } from '../../support/pulsar-driver.js'
import { waitFor } from '../../support/wait.js'

/**
 * The driver interface's contract, run against the real broker on the driver under test
 * (PULSAR_DRIVER; `npm test` runs this file once per driver): the Pulsar bus relies on exactly
 * these behaviours.
 */

const skip = await brokerSkipReason()

const options: DriverOptions = { connectTimeoutMs: 5000, sendTimeoutMs: 10_000, maxPendingMessages: 64, maxMessageSize: 5 * 1024 * 1024 }

type MakeDriver = (config: ResolvedPulsarConfig) => Promise<PulsarDriver>

t.test(`${driverUnderTest} driver`, async (t) => { contract(t, async (config) => await makeTestDriver(config, options), skip) })

function contract (t: Test, make: MakeDriver, skip: string | false): void {
  const test = (name: string, body: (t: Test) => Promise<void>): void => { t.test(name, { skip }, body) }
  /** A connected driver, closed when the test ends. */
  const connected = async (t: Test, config = brokerConfig): Promise<PulsarDriver> => {
    const driver = await make(config)
    t.teardown(async () => await driver.close())
    await driver.connect()
    return driver
  }

  const subscribe = async (driver: PulsarDriver, topic: string, overrides: Partial<ConsumerOptions> = {}): Promise<{ consumer: PulsarConsumer, mailbox: Mailbox<ReceivedMessage> }> => {
    const mailbox = new Mailbox<ReceivedMessage>()
    const consumer = await driver.subscribe({
      topic,
      subscription: uniqueName('sub'),
      type: 'Shared',
      initialPosition: 'Earliest',
      receiverQueueSize: 100,
      nackRedeliveryDelayMs: 100,
      onMessage: mailbox.put,
      ...overrides
    })
    return { consumer, mailbox }
  }

  const send = async (producer: PulsarProducer, text: string, key: string | null = null): Promise<string> =>
    await producer.send({ bytes: Buffer.from(text), properties: { event_id: text }, key })

  test('connect() fails fast with PulsarConnectError naming the address when nothing listens', async (t) => {
    const dead = resolvePulsarConfig({ serviceUrl: 'pulsar://127.0.0.1:1', webServiceUrl: 'http://127.0.0.1:1' })
    const driver = await make(dead)
    t.teardown(async () => await driver.close())
    const started = Date.now()
    await t.rejects(driver.connect(), { code: 'PULSAR_CONNECT_FAILED', message: /^Failed to connect to Pulsar at (pulsar|http):\/\/127\.0\.0\.1:1/ })
    t.ok(Date.now() - started < 5000, `failed within the connect timeout (${Date.now() - started} ms)`)
  })

  test('a send resolves with the message id; the consumer gets bytes, properties, key and redeliveryCount 0', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const { consumer, mailbox } = await subscribe(driver, topic)
    const producer = await driver.createProducer({ topic })
    const id = await producer.send({ bytes: Buffer.from('hello'), properties: { event_id: 'e-1', traceparent: '00-abc-def-01' }, key: 'order-7' })
    t.type(id, 'string')
    t.ok(id.length > 0)
    const [message] = await mailbox.take(1)
    t.equal(message!.bytes.toString(), 'hello')
    t.same(message!.properties, { event_id: 'e-1', traceparent: '00-abc-def-01' })
    t.equal(message!.key, 'order-7')
    t.equal(message!.redeliveryCount, 0)
    t.match(message!.publishTime, /^\d{4}-\d\d-\d\dT/)
    await consumer.ack(message!)
  })

  test('a new subscription at Earliest gets messages published before it existed', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const producer = await driver.createProducer({ topic })
    await send(producer, 'before')
    const { mailbox } = await subscribe(driver, topic)
    t.equal((await mailbox.take(1))[0]!.bytes.toString(), 'before')
  })

  test('many sends in flight on one producer each resolve with their own receipt', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const { consumer, mailbox } = await subscribe(driver, topic, { receiverQueueSize: 1000 })
    const producer = await driver.createProducer({ topic })
    const texts = Array.from({ length: 300 }, (_, i) => `m-${i}`)
    const ids = await Promise.all(texts.map(async (text) => await send(producer, text)))
    t.equal(new Set(ids).size, texts.length, 'a distinct message id per send')
    const received = await mailbox.take(texts.length)
    t.same(received.map((m) => m.bytes.toString()).sort(), [...texts].sort())
    await Promise.all(received.map(async (m) => await consumer.ack(m)))
  })

  test('a negative ack brings the message back after the delay with redeliveryCount + 1', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const { consumer, mailbox } = await subscribe(driver, topic, { nackRedeliveryDelayMs: 100 })
    const producer = await driver.createProducer({ topic })
    await send(producer, 'again')
    for (let delivery = 0; delivery < 3; delivery++) {
      const message = (await mailbox.take(delivery + 1))[delivery]!
      t.equal(message.redeliveryCount, delivery, `delivery ${delivery + 1} says ${delivery} before it`)
      if (delivery < 2) await consumer.nack(message)
      else await consumer.ack(message)
    }
  })

  test('the push window: at most receiverQueueSize messages unsettled, one more per settle', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const producer = await driver.createProducer({ topic })
    await Promise.all(Array.from({ length: 20 }, async (_, i) => await send(producer, `w-${i}`)))
    const { consumer, mailbox } = await subscribe(driver, topic, { receiverQueueSize: 5 })
    const first = await mailbox.take(5)
    // Give the broker the chance to overrun the window: a settle-driven arrival is the signal.
    await consumer.ack(first[0]!)
    await mailbox.take(6)
    t.equal(mailbox.items.length, 6, 'one settle, one more message')
    // Settle the rest as they come: all 20 arrive.
    for (let settled = 1; settled < 20;) {
      await mailbox.take(settled + 1)
      for (const message of mailbox.items.slice(settled)) {
        await consumer.ack(message)
        settled++
      }
    }
    t.equal(mailbox.items.length, 20)
  })

  test('messages left unsettled by a closed consumer go to the next one', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const subscription = uniqueName('sub')
    const first = await subscribe(driver, topic, { subscription })
    const producer = await driver.createProducer({ topic })
    await send(producer, 'unsettled')
    await first.mailbox.take(1)
    await first.consumer.close()
    await first.consumer.close()
    const second = await subscribe(driver, topic, { subscription })
    const [again] = await second.mailbox.take(1)
    t.equal(again!.bytes.toString(), 'unsettled')
    await second.consumer.ack(again!)
  })

  test('Key_Shared delivers every key in publish order to one consumer', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const { consumer, mailbox } = await subscribe(driver, topic, { type: 'Key_Shared' })
    const producer = await driver.createProducer({ topic })
    const sends = []
    for (let i = 0; i < 30; i++) sends.push(send(producer, `${i % 3}:${i}`, `key-${i % 3}`))
    await Promise.all(sends)
    const received = await mailbox.take(30)
    for (const key of ['0', '1', '2']) {
      const sequence = received.filter((m) => m.key === `key-${key}`).map((m) => Number(m.bytes.toString().split(':')[1]))
      t.same(sequence, [...sequence].sort((a, b) => a - b), `key-${key} in order`)
    }
    await Promise.all(received.map(async (m) => await consumer.ack(m)))
  })

  test('a Key_Shared consumer on a subscription that is Shared is refused as busy, with the broker\'s reason', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const subscription = uniqueName('mixed')
    await subscribe(driver, topic, { type: 'Shared', subscription })
    await t.rejects(subscribe(driver, topic, { type: 'Key_Shared', subscription }), { code: 'PULSAR_SUBSCRIPTION_BUSY', message: new RegExp(`Subscription ${subscription} on .* is held by another consumer: .+`) })
  })

  test('Failover and Exclusive subscriptions; a second Exclusive consumer is refused as busy', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const failover = await subscribe(driver, topic, { type: 'Failover' })
    const subscription = uniqueName('exclusive')
    const exclusive = await subscribe(driver, topic, { type: 'Exclusive', subscription })
    await t.rejects(subscribe(driver, topic, { type: 'Exclusive', subscription }), { code: 'PULSAR_SUBSCRIPTION_BUSY', message: /is held by another consumer/ })
    const producer = await driver.createProducer({ topic })
    await send(producer, 'both')
    t.equal((await failover.mailbox.take(1))[0]!.bytes.toString(), 'both')
    t.equal((await exclusive.mailbox.take(1))[0]!.bytes.toString(), 'both')
  })

  test('a missing namespace is PulsarTopicError, an outage code', async (t) => {
    const driver = await connected(t)
    const topic = `persistent://public/${uniqueName('no-such-ns')}/x`
    await t.rejects(driver.createProducer({ topic }), { code: 'PULSAR_TOPIC_NOT_FOUND', message: /Namespace not found|TopicNotFound/ })
    await t.rejects(subscribe(driver, topic), { code: 'PULSAR_TOPIC_NOT_FOUND' })
  })

  test('a message over the limit is refused before sending and the producer keeps working', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const producer = await driver.createProducer({ topic })
    await t.rejects(producer.send({ bytes: Buffer.alloc(6 * 1024 * 1024), properties: { event_id: 'huge' }, key: null }),
      { code: 'PULSAR_MESSAGE_TOO_LARGE', message: /^Message huge is 6291456 bytes, over the broker's limit of 5242880 bytes/ })
    t.type(await send(producer, 'small'), 'string')
  })

  test('the broker\'s own refusal of a too-large message (a topic policy under our limit) is PulsarMessageTooLargeError', async (t) => {
    const driver = await connected(t)
    const name = uniqueName('contract')
    const topic = topicFor(brokerConfig, name)
    const producer = await driver.createProducer({ topic })
    await admin.request('POST', `/admin/v2/persistent/${brokerConfig.tenant}/${brokerConfig.namespace}/${name}/maxMessageSize`, 10_000)
    // Topic policies travel through a system topic: wait until the broker applies this one.
    await waitFor(async () => await admin.request('GET', `/admin/v2/persistent/${brokerConfig.tenant}/${brokerConfig.namespace}/${name}/maxMessageSize`) === 10_000, 'the topic policy')
    await t.rejects(producer.send({ bytes: Buffer.alloc(20_000), properties: { event_id: 'big' }, key: null }),
      { code: 'PULSAR_MESSAGE_TOO_LARGE', message: /^Message big is 20000 bytes, over the broker's limit of (19999 or fewer|10000) bytes/ })
    t.type(await send(producer, 'small'), 'string', 'the producer keeps working')
  })

  test('a send after close fails as stopped; close is idempotent', async (t) => {
    const driver = await connected(t)
    const topic = topicFor(brokerConfig, uniqueName('contract'))
    const producer = await driver.createProducer({ topic })
    await producer.close()
    await producer.close()
    await t.rejects(send(producer, 'late'), { code: 'OUTBOX_BUS_STOPPED' })
    await driver.close()
    await driver.close()
    await t.rejects(driver.createProducer({ topic }), { code: 'OUTBOX_BUS_STOPPED' })
  })
}
