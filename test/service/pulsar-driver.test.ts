import t, { type Test } from 'tap'
import { brokerSkipReason } from '../plugin/pulsar/broker.js'
import { freshDatabase } from '../support/databases.js'
import { freshNamespace, testBrokerConfig } from '../support/pulsar-namespace.js'
import { spawnService } from '../support/service-process.js'

/**
 * The demo service says which Pulsar driver runs and why, in its first log line and in
 * /health: with PULSAR_DRIVER=auto on a machine where the pulsar-client addon loads (this one)
 * and on one where it does not (the addon hidden from the process).
 */

const skip = await brokerSkipReason()

async function serviceOnPulsar (t: Test, extra: Record<string, string>): Promise<{ first: Record<string, unknown> & { msg?: string }, health: { bus: { driver?: { name: string, reason: string } } } }> {
  const database = await freshDatabase(t, 'postgres')
  const namespace = await freshNamespace(t)
  const config = testBrokerConfig(namespace)
  const service = spawnService(t, {
    DATABASE_URL: database.url!,
    PULSAR_URL: config.serviceUrl,
    PULSAR_WEB_URL: config.webServiceUrl!,
    PULSAR_NAMESPACE: namespace,
    PULSAR_DRIVER: 'auto',
    ...extra
  })
  const url = await service.listening()
  const health = await (await fetch(`${url}/health`)).json() as { bus: { driver?: { name: string, reason: string } } }
  service.signal('SIGTERM')
  await service.exited
  return { first: service.logLines()[0]!, health }
}

t.test('auto where the addon loads: the native driver, said in the first line and in /health', { skip }, async (t) => {
  const { first, health } = await serviceOnPulsar(t, {})
  t.match(first.msg, /native driver/, `first line: ${first.msg}`)
  t.match(JSON.stringify(first), /driver \\"auto\\": the pulsar-client addon loads/)
  t.same(health.bus.driver, { name: 'native', reason: 'driver "auto": the pulsar-client addon loads' })
})

t.test('auto where the addon does not load: the WebSocket driver, and why', { skip }, async (t) => {
  const { first, health } = await serviceOnPulsar(t, { NODE_OPTIONS: '--require ./test/support/native-addon/hide.cjs' })
  t.match(first.msg, /websocket driver/, `first line: ${first.msg}`)
  t.match(JSON.stringify(first), /the pulsar-client addon does not load/)
  t.equal(health.bus.driver?.name, 'websocket')
  t.match(health.bus.driver?.reason, /^driver "auto": the pulsar-client addon does not load \(.*cannot open shared object file/)
})
