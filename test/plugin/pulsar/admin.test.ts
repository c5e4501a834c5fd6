import t from 'tap'
import { pulsarAdmin, resolvePulsarConfig, topicFor } from '../../support/library.js'
import { admin, brokerConfig, brokerSkipReason, uniqueName } from './broker.js'
import { waitFor } from '../../support/wait.js'
import { testDriver } from '../../support/pulsar-driver.js'

const skip = await brokerSkipReason()

t.test('clusters, topic list and topic stats, as pulsar-admin shows them', { skip }, async (t) => {
  t.same(await admin.clusters(), ['standalone'])
  const name = uniqueName('admin')
  const subscription = uniqueName('sub')
  t.equal(await admin.createSubscription(name, subscription, 'Earliest'), true, 'created (the topic too)')
  t.equal(await admin.createSubscription(name, subscription, 'Earliest'), false, 'already there')
  t.teardown(async () => await admin.deleteTopic(name))

  const driver = await testDriver(brokerConfig, { maxPendingMessages: 10, maxMessageSize: 1 << 20 })
  t.teardown(async () => await driver.close())
  const producer = await driver.createProducer({ topic: topicFor(brokerConfig, name) })
  await producer.send({ bytes: Buffer.from('one'), properties: {}, key: null })
  await producer.send({ bytes: Buffer.from('two'), properties: {}, key: null })

  t.ok((await admin.listTopics()).includes(topicFor(brokerConfig, name)), 'listed by its full name')
  await waitFor(async () => (await admin.topicStats(name)).subscriptions[subscription]?.msgBacklog === 2, 'a backlog of 2 in the stats')
  const stats = await admin.topicStats(topicFor(brokerConfig, name))
  t.equal(stats.msgInCounter, 2)
  t.equal(stats.publishers.length, 1)
})

t.test('a topic that does not exist is PulsarTopicError', { skip }, async (t) => {
  await t.rejects(admin.topicStats(uniqueName('never-created')), { code: 'PULSAR_TOPIC_NOT_FOUND', message: /Topic .*not (found|exist)/i })
})

t.test('nothing listening is PulsarConnectError naming the web address', async (t) => {
  const dead = pulsarAdmin(resolvePulsarConfig({ serviceUrl: 'pulsar://127.0.0.1:1', webServiceUrl: 'http://127.0.0.1:1' }), { timeoutMs: 2000 })
  await t.rejects(dead.clusters(), { code: 'PULSAR_CONNECT_FAILED', message: /^Failed to connect to Pulsar at http:\/\/127\.0\.0\.1:1: GET \/admin\/v2\/clusters: connection refused/ })
})

t.test('the admin API needs a web address it can find', async (t) => {
  t.throws(() => pulsarAdmin({ serviceUrl: 'pulsar://localhost:16650' }), { code: 'PULSAR_INVALID_CONFIG', message: /set webServiceUrl \(PULSAR_WEB_URL\)/ })
})
