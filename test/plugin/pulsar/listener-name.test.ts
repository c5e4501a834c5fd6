import t from 'tap'
import { PulsarBus, type PulsarBusOptions } from '../../support/library.js'
import { envelopeOf, uniqueEventType } from './bus-fixture.js'
import { recordingLogger } from './broker.js'
import { PulsarInstance } from '../../support/pulsar-instance.js'
import { FaultProxy } from '../../../scripts/chaos/fault-proxy.js'

/**
 * listenerName on a broker of this file's own (never the shared one) that advertises a second
 * listener, "proxied", at a fault proxy in front of its binary port: what the chaos run's
 * --network-faults does for the native driver. The native client asks the broker where a topic
 * lives and then connects to the address it is told. A standalone broker also tells every client
 * to connect through the service URL it dialled (proxyThroughServiceUrl), so here a client would
 * reach the proxy even without the listener; a cluster's brokers do not, and there only the
 * listener's address leads to the proxy. So the tests check both halves: the name reaches the
 * broker's lookups, and every byte of a client configured so crosses the proxy. The broker's start
 * takes most of the time (20–60 s, more under load).
 */

t.setTimeout(300_000)

const instance = await PulsarInstance.create({ name: 'listener' })
t.teardown(async () => await instance.destroy())
const proxy = await FaultProxy.start('broker', { host: '127.0.0.1', port: instance.ports.broker })
t.teardown(async () => await proxy.close())
await instance.start({ PULSAR_SETTINGS: instance.advertisedListenerSettings({ name: 'proxied', port: proxy.port }) })

function bus (options: Partial<PulsarBusOptions>): PulsarBus {
  return new PulsarBus({
    source: 'listener-test',
    serviceUrl: proxy.rewrite(instance.serviceUrl),
    webServiceUrl: instance.webUrl,
    connectTimeoutMs: 5000,
    sendTimeoutMs: 3000,
    logger: recordingLogger(),
    ...options
  })
}

t.test('native driver with listenerName: its producer\'s bytes all cross the proxy (a partition there stops a publish until it heals)', async (t) => {
  const proxied = bus({ driver: 'native', listenerName: 'proxied' })
  t.teardown(async () => await proxied.stop())
  await proxied.start()
  const type = uniqueEventType()
  // The first publish makes the producer: a lookup, then a connection to the address it answered.
  await proxied.publish(envelopeOf(type, { n: 1 }))
  t.ok(proxy.connections > 0, `connections through the proxy: ${proxy.connections}`)
  proxy.partition()
  await t.rejects(proxied.publish(envelopeOf(type, { n: 2 })), { code: 'PULSAR_CONNECT_FAILED', message: /TimeOut/ }, 'partitioned: the publish waits behind the proxy until its send timeout')
  proxy.heal()
  await t.resolves(proxied.publish(envelopeOf(type, { n: 3 })), 'healed: publishes go through again')
})

t.test('native driver: the listener name reaches the broker\'s lookups (one it does not advertise gets no producer)', async (t) => {
  const wrong = bus({ driver: 'native', listenerName: 'no-such-listener' })
  t.teardown(async () => await wrong.stop())
  // The connect check asks for partitions, which no listener answers: start() succeeds.
  await wrong.start()
  await t.rejects(wrong.publish(envelopeOf(uniqueEventType(), { n: 1 })), {
    code: 'PULSAR_CONNECT_FAILED',
    message: /at pulsar:\/\/127\.0\.0\.1:\d+ \(listener "no-such-listener", which must be one of the broker's advertisedListeners\): Failed to create producer: TimeOut/
  })
})

t.test('websocket driver: listenerName is not used (the web service reaches the topic\'s owner itself), and the bus says so', async (t) => {
  const logger = recordingLogger()
  const ws = bus({ driver: 'websocket', listenerName: 'no-such-listener', logger })
  t.teardown(async () => await ws.stop())
  await ws.start()
  await t.resolves(ws.publish(envelopeOf(uniqueEventType(), { n: 1 })), 'a listener the broker does not have changes nothing')
  t.match(logger.lines, [{ level: 'info', obj: { driver: 'websocket', reason: 'driver "websocket" was asked for; listenerName "no-such-listener" is not used by the websocket driver' } }])
  t.match(ws.selectedDriver, { name: 'websocket', reason: /listenerName "no-such-listener" is not used/ })
})
