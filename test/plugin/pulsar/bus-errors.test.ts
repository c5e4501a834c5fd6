import t from 'tap'
import { isTransportOutage, PulsarBus, type MessageEnvelope } from '../../support/library.js'
import { brokerSkipReason, uniqueName } from './broker.js'
import { envelopeOf, startedBus, uniqueEventType } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'
import { driverUnderTest } from '../../support/pulsar-driver.js'
import { deferred, waitFor } from '../../support/wait.js'
import { FaultProxy } from '../../../scripts/chaos/fault-proxy.js'

const skip = await brokerSkipReason()

t.test('start() against a dead port fails fast with PulsarConnectError naming the address', async (t) => {
  const bus = new PulsarBus({ source: 'svc', serviceUrl: 'pulsar://127.0.0.1:1', webServiceUrl: 'http://127.0.0.1:1', driver: driverUnderTest, connectTimeoutMs: 2000 })
  const started = Date.now()
  // Each driver names the port it tries first: the binary one (native), the web one (WebSocket).
  const address = driverUnderTest === 'native' ? 'pulsar' : 'http'
  const err = await t.rejects(bus.start(), {
    code: 'PULSAR_CONNECT_FAILED',
    message: new RegExp(`^Failed to connect to Pulsar at ${address}://127\\.0\\.0\\.1:1: .*connection refused.*Check that the broker is up`)
  }) as unknown as Error
  t.ok(Date.now() - started < 2000, `within the connect timeout (${Date.now() - started} ms)`)
  t.ok(isTransportOutage(err), 'an outage: the outbox keeps its rows pending')
  t.equal(bus.started, false)
  await t.rejects(bus.publish(envelopeOf(uniqueEventType(), {})), { code: 'OUTBOX_BUS_NOT_STARTED' })
})

t.test('start() against an unknown host says the DNS lookup failed', async (t) => {
  const bus = new PulsarBus({ source: 'svc', serviceUrl: 'pulsar://no-such-host.invalid:6650', driver: driverUnderTest, connectTimeoutMs: 3000 })
  const address = driverUnderTest === 'native' ? 'pulsar://no-such-host\\.invalid:6650' : 'http://no-such-host\\.invalid:8080'
  await t.rejects(bus.start(), { code: 'PULSAR_CONNECT_FAILED', message: new RegExp(`at ${address}: .*(unknown host|DNS lookup failed)`) })
})

t.test('start() against a broker behind a partition (connections accepted, never answered): PulsarConnectError at the connect timeout, nothing left open after stop()', { skip }, async (t) => {
  const broker = await FaultProxy.start('broker', { host: '127.0.0.1', port: 6650 })
  const web = await FaultProxy.start('web', { host: '127.0.0.1', port: 8080 })
  t.teardown(async () => { await broker.close(); await web.close() })
  broker.partition()
  web.partition()
  const bus = new PulsarBus({ source: 'svc', serviceUrl: broker.rewrite('pulsar://127.0.0.1:6650'), webServiceUrl: web.rewrite('http://127.0.0.1:8080'), driver: driverUnderTest, connectTimeoutMs: 2000 })
  const started = Date.now()
  // Our deadline or, on the native driver, the C++ client's own connection timeout (the same 2000 ms) says it first.
  const err = await t.rejects(bus.start(), { code: 'PULSAR_CONNECT_FAILED', message: /(no answer .*within 2000 ms|GetPartitionsForTopic: ConnectError).*Check that the broker is up/ }) as unknown as Error
  t.ok(Date.now() - started < 6000, `within a few connect timeouts (${Date.now() - started} ms)`)
  t.ok(isTransportOutage(err), 'an outage')
  broker.heal()
  web.heal()
  await bus.stop()
  await waitFor(() => broker.connections + web.connections === 0, 'the bus to close every connection it opened', 10_000)
})

t.test('bad configuration is refused when the bus is made, with the fix', async (t) => {
  t.throws(() => new PulsarBus({ source: 'svc', serviceUrl: 'http://nowhere' }), { code: 'PULSAR_INVALID_CONFIG', message: /pulsar:\/\/host:6650/ })
  t.throws(() => new PulsarBus({ source: 'svc', serviceUrl: 'pulsar+ssl://h:6651', tls: { trustCertPath: '/no/such/ca.pem' } }), { code: 'PULSAR_INVALID_CONFIG', message: /\/no\/such\/ca\.pem does not exist/ })
  t.throws(() => new PulsarBus({ source: 'svc', serviceUrl: 'pulsar://h:6650', authToken: ' ' }), { code: 'PULSAR_INVALID_CONFIG', message: /authToken contains whitespace/ })
  t.throws(() => new PulsarBus({ source: 'svc', serviceUrl: 'pulsar://h:6650', driver: 'grpc' as 'auto' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /driver must be "auto", "native" or "websocket"/ })
  t.throws(() => new PulsarBus({ source: 'svc', serviceUrl: 'pulsar://h:6650', subscriptionType: 'Key_Shared' as 'Shared' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /ordered subscriptions use Key_Shared/ })
  t.throws(() => new PulsarBus({ source: 'svc', serviceUrl: 'pulsar://h:6650', connectTimeoutMs: 0 }), { code: 'OUTBOX_INVALID_OPTIONS', message: /connectTimeoutMs/ })
  t.throws(() => new PulsarBus({ source: 'svc', serviceUrl: 'pulsar://h:6650', producerName: 'relay 1' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /producerName must be/ })
  t.throws(() => new PulsarBus({ source: 'svc', serviceUrl: 'pulsar://h:6650', initialPosition: 'Middle' as 'Earliest' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /initialPosition must be "Earliest" or "Latest"/ })
})

t.test('the websocket driver needs a web address when the broker is not on its default port', async (t) => {
  const bus = new PulsarBus({ source: 'svc', serviceUrl: 'pulsar://127.0.0.1:16650', driver: 'websocket' })
  await t.rejects(bus.start(), { code: 'PULSAR_INVALID_CONFIG', message: /set webServiceUrl \(PULSAR_WEB_URL\)/ })
})

t.test('a message over the size limit is PulsarMessageTooLargeError, not an outage', { skip }, async (t) => {
  const bus = await startedBus(t)
  const type = uniqueEventType()
  const big = envelopeOf(type, { blob: 'x'.repeat(6 * 1024 * 1024) })
  const err = await t.rejects(bus.publish(big), { code: 'PULSAR_MESSAGE_TOO_LARGE', message: new RegExp(`^Message ${big.eventId} is \\d+ bytes, over the broker's limit`) }) as unknown as Error
  t.notOk(isTransportOutage(err), 'counts as a failed attempt: retrying cannot help')
  const between = envelopeOf(type, { blob: 'x'.repeat(900 * 1024) })
  if (driverUnderTest === 'websocket') {
    // Between the WebSocket frame limit (1 MiB, base64) and the broker's 5 MiB: refused before sending too.
    await t.rejects(bus.publish(between), { code: 'PULSAR_MESSAGE_TOO_LARGE', message: /base64 in a WebSocket frame of at most 1048576 bytes, the broker's webSocketMaxTextFrameSize\) is \d+ bytes, over the broker's limit of 78\d{4} bytes/ })
  } else {
    await bus.publish(between) // the binary protocol has no frame limit below the broker's
  }
  await bus.publish(envelopeOf(type, { blob: 'x'.repeat(700 * 1024) }))
  const small = await startedBus(t, { maxMessageSize: 2000 })
  await t.rejects(small.publish(envelopeOf(type, { blob: 'x'.repeat(3000) })), { code: 'PULSAR_MESSAGE_TOO_LARGE', message: /over the broker's limit of 2000 bytes/ })
  await small.publish(envelopeOf(type, { blob: 'fits' }))
})

t.test('stop() waits for running handlers, then closes; nothing is acked twice or lost', { skip }, async (t) => {
  const source = uniqueName('svc')
  const bus = await startedBus(t, { source, drainTimeoutMs: 5000 })
  const type = uniqueEventType()
  const entered = deferred()
  const release = deferred()
  const finished = new Mailbox<string>()
  await bus.subscribe(type, async (envelope) => {
    entered.resolve()
    await release.promise
    finished.put(envelope.eventId)
  })
  const sent = envelopeOf(type, {})
  await bus.publish(sent)
  await entered.promise
  const stopping = bus.stop()
  setImmediate(() => release.resolve())
  await stopping
  t.same(finished.items, [sent.eventId], 'the running handler finished before stop() resolved')

  // Acked before the consumer closed: a new instance of the service does not get it again.
  const next = await startedBus(t, { source })
  const witness = new Mailbox<string>()
  await next.subscribe(type, (envelope: MessageEnvelope) => witness.put(envelope.eventId))
  const after = envelopeOf(type, { after: true })
  await next.publish(after)
  t.same(await witness.take(1), [after.eventId], 'only the new event arrives')
})
