import { setTimeout as delay } from 'node:timers/promises'
import t from 'tap'
import { createEnvelope, PulsarBus, pulsarAdmin, type PulsarBusOptions } from '../support/library.js'
import { composeBrokerSettings } from '../support/compose-file.js'
import { AccountCredited } from '../support/events.js'
import { testPulsarInstance, type PulsarInstance } from '../support/pulsar-instance.js'
import { waitFor } from '../support/wait.js'

/**
 * A dead letter survives a broker restart and a service restart, on a broker of this test's own
 * started with docker-compose.yml's broker settings. The broker also checks for idle topics every
 * 5 s instead of every 60 s, so that a configuration that deletes them would do it within the
 * test: the parked message must still be there after several such checks with nobody connected.
 */

t.setTimeout(600_000)

/** Long enough for several of the accelerated idle-topic checks (every 5 s, after 5 s idle). */
const IDLE_CHECKS_MS = 20_000

function serviceBus (broker: PulsarInstance, options: Partial<PulsarBusOptions> = {}): PulsarBus {
  return new PulsarBus({
    serviceUrl: broker.serviceUrl,
    webServiceUrl: broker.webUrl,
    driver: 'websocket',
    source: 'billing',
    maxRedeliveries: 0,
    retryDelayMs: 50,
    connectTimeoutMs: 5000,
    reconnectBackoff: { initialMs: 100, maxMs: 2000 },
    ...options
  })
}

t.test('a parked message survives the service stopping, the broker restarting and idle-topic checks; the restarted service replays it', async (t) => {
  const broker = await testPulsarInstance(t, {
    name: 'dlq-keep',
    env: { PULSAR_SETTINGS: [...composeBrokerSettings(), 'brokerDeleteInactiveTopicsFrequencySeconds=5', 'brokerDeleteInactiveTopicsMaxInactiveDurationSeconds=5'].join(' ') }
  })
  const admin = pulsarAdmin({ serviceUrl: broker.serviceUrl, webServiceUrl: broker.webUrl })

  // The service parks an event its handler cannot take, then stops.
  const first = serviceBus(broker)
  t.teardown(() => first.stop())
  await first.subscribe(AccountCredited, () => { throw new Error('ledger closed') })
  await first.start()
  const event = createEnvelope({ eventType: AccountCredited.type, payload: { account: 'a', seq: 0, amount: 1 }, source: 'billing', correlationId: 'keep-1' })
  await first.publish(event)
  const deadLetterTopic = `${first.topicFor(AccountCredited.type)}-billing-DLQ`
  const parked = async (): Promise<number | undefined> => (await admin.topicStats(deadLetterTopic).catch(() => null))?.subscriptions['billing-replay']?.msgBacklog
  await waitFor(async () => await parked() === 1, 'the event to be parked', 30_000)
  await first.stop()

  // The broker restarts on its data; nobody is connected for several idle-topic checks.
  await broker.stop({ keepData: true })
  await broker.start()
  await delay(IDLE_CHECKS_MS)
  t.ok((await admin.listTopics()).includes(deadLetterTopic), 'the dead-letter topic is still there')
  t.equal(await parked(), 1, 'holding the parked message')

  // The service restarts, fixed, and replays it.
  const handled: string[] = []
  const second = serviceBus(broker)
  t.teardown(() => second.stop())
  await second.subscribe(AccountCredited, (received) => { handled.push(received.correlationId ?? '') })
  await second.start()
  t.equal(await second.replayDeadLetters({ topic: AccountCredited.type, subscription: 'billing' }), 1, 'one message replayed')
  await waitFor(() => handled.length === 1, 'the replayed event to be handled', 30_000)
  t.same(handled, ['keep-1'], 'the very event that was parked')
})
