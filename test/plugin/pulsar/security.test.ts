import t from 'tap'
import { PulsarBus } from '../../../plugin/index.js'
import { brokerConfig, brokerSkipReason, uniqueName } from './broker.js'
import { envelopeOf, startedBus, uniqueEventType } from './bus-fixture.js'
import { Mailbox } from './mailbox.js'

/**
 * Token authentication and TLS against a broker that has them. The default test broker has
 * neither; run this file with PULSAR_URL=pulsar+ssl://…, PULSAR_WEB_URL=https://…,
 * PULSAR_AUTH_TOKEN and PULSAR_TLS_CERT_PATH pointing at one started with
 * PULSAR_AUTH_SECRET_FILE and PULSAR_TLS_CERT_FILE (see scripts/pulsar/README.md).
 */

const skipAll = await brokerSkipReason()
const token = brokerConfig.authToken
const noAuth = skipAll !== false ? skipAll : token === null ? 'the broker under test has no token authentication (set PULSAR_AUTH_TOKEN against one that has)' : false
const noTls = skipAll !== false ? skipAll : !brokerConfig.tls.enabled || brokerConfig.tls.trustCertPath === null ? 'the broker under test is not reached over TLS with a trust certificate (set PULSAR_URL=pulsar+ssl://… and PULSAR_TLS_CERT_PATH)' : false

t.test('a token the broker cannot verify is PulsarAuthError at start, without the token in it', { skip: noAuth }, async (t) => {
  const forged = `${token!.slice(0, -6)}AAAAAA`
  const bus = new PulsarBus({ ...brokerConfig, authToken: forged, source: uniqueName('svc'), driver: 'websocket' })
  const err = await t.rejects(bus.start(), { code: 'PULSAR_AUTH_FAILED', message: /refused the credentials: GET \/admin\/v2\/clusters answered HTTP 401.*Check PULSAR_AUTH_TOKEN/ }) as unknown as Error
  t.notMatch(err.message, forged)
  const anonymous = new PulsarBus({ ...brokerConfig, authToken: null, source: uniqueName('svc'), driver: 'websocket' })
  await t.rejects(anonymous.start(), { code: 'PULSAR_AUTH_FAILED' })
})

t.test('the token works for publish and subscribe', { skip: noAuth }, async (t) => {
  const bus = await startedBus(t)
  const type = uniqueEventType()
  const inbox = new Mailbox<string>()
  await bus.subscribe(type, (envelope) => inbox.put(envelope.eventId))
  const sent = envelopeOf(type, {})
  await bus.publish(sent)
  t.same(await inbox.take(1), [sent.eventId])
})

t.test('TLS without the CA is refused with the fix in the message', { skip: noTls }, async (t) => {
  const bus = new PulsarBus({ ...brokerConfig, tls: { ...brokerConfig.tls, trustCertPath: null }, source: uniqueName('svc'), driver: 'websocket' })
  await t.rejects(bus.start(), { code: 'PULSAR_CONNECT_FAILED', message: /TLS certificate is not trusted .*PULSAR_TLS_CERT_PATH/ })
})

t.test('TLS with the CA and hostname checks off still verifies the chain and works', { skip: noTls }, async (t) => {
  const bus = await startedBus(t, { tls: { ...brokerConfig.tls, validateHostname: false } })
  const type = uniqueEventType()
  const inbox = new Mailbox<string>()
  await bus.subscribe(type, (envelope) => inbox.put(envelope.eventId))
  const sent = envelopeOf(type, {})
  await bus.publish(sent)
  t.same(await inbox.take(1), [sent.eventId])
})
