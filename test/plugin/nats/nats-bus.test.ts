import t, { type Test } from 'tap'
import { createEnvelope, isTransportOutage } from '../../support/library.js'
import { NatsBus, natsConfigFromEnv, type NatsBusOptions } from '../../../plugin/nats/index.js'
import { Mailbox } from '../../support/mailbox.js'
import { recordingLogger } from '../../support/recording-logger.js'
import { uniqueName } from '../../support/unique-name.js'
import { natsSkipReason, natsTestPrefix, natsUrl, plainNats, readNatsStream } from './server.js'

const skip = await natsSkipReason()
const prefix = skip === false ? natsTestPrefix(t) : 'unused'

function natsBus (t: Test, options: Partial<NatsBusOptions> = {}): NatsBus {
  const bus = new NatsBus({ servers: natsUrl, source: uniqueName('svc'), prefix, retryDelayMs: 50, ackWaitMs: 3000, logger: recordingLogger(), ...options })
  t.teardown(async () => await bus.stop())
  return bus
}

t.test('a projector\'s re-send of an event is dropped by the stream: Nats-Msg-Id is the event id, so the subscriber gets it once', { skip }, async (t) => {
  const relay = natsBus(t)
  const subscriber = natsBus(t)
  await relay.start()
  await subscriber.start()
  const type = `${uniqueName('dedup')}.ThingHappened`
  const received = new Mailbox<string>()
  await subscriber.subscribe(type, (envelope) => received.put(envelope.eventId))
  const event = createEnvelope({ eventType: type, payload: { n: 1 }, source: 'relay', partitionKey: 'order-1' })
  const marker = createEnvelope({ eventType: type, payload: { n: 2 }, source: 'relay', partitionKey: 'order-1' })
  // A projector that crashed after the broker stored the event and before it marked the row sends it again.
  await relay.publish(event)
  await relay.publish(event)
  await relay.publish(event)
  await relay.publish(marker)
  await received.until((ids) => ids.includes(marker.eventId), 'the marker published after the re-sends')
  t.same(received.items, [event.eventId, marker.eventId], 'the event once, then the marker')
  t.equal(relay.duplicatesDropped, 2, 'the stream acknowledged both re-sends as duplicates')
  const layout = relay.layoutOf(type)
  const stored = await readNatsStream(t, await plainNats(t), layout.stream, layout.subjectFor('order-1'))
  const messages = await stored.take(2, 'what the stream holds')
  t.same(messages.map((m) => m.headers['Nats-Msg-Id']), [event.eventId, marker.eventId], 'the stream holds the event once')
})

t.test('what is on the server: the encoded envelope as data, its ids and the partition key as headers, on the subject the key hashes to', { skip }, async (t) => {
  const bus = natsBus(t, { partitions: 4 })
  await bus.start()
  const type = `${uniqueName('w')}.ThingHappened`
  const sent = createEnvelope({ eventType: type, payload: { n: 1 }, source: 'wire-test', partitionKey: 'order-7', correlationId: 'corr-7', causationId: 'cause-7', headers: { traceparent: '00-abc-def-01' } })
  await bus.publish(sent)
  const layout = bus.layoutOf(type)
  t.match(layout.stream, new RegExp(`^${prefix}_w.*_ThingHappened$`), 'the stream is named after the topic, "." made "_"')
  const [message] = await (await readNatsStream(t, await plainNats(t), layout.stream)).take(1, 'the message')
  t.equal(message!.subject, layout.subjectFor('order-7'))
  t.equal((JSON.parse(message!.data.toString()) as { event_id: string }).event_id, sent.eventId)
  t.same(message!.headers, { 'Nats-Msg-Id': sent.eventId, event_id: sent.eventId, event_type: type, content_type: 'application/json', correlation_id: 'corr-7', causation_id: 'cause-7', traceparent: '00-abc-def-01', partition_key: 'order-7' })
})

t.test('an ordered subscription on two instances: one message per partition at a time across both, each key in order', { skip }, async (t) => {
  const source = uniqueName('svc')
  const type = `${uniqueName('ord')}.ThingHappened`
  const handled: Array<{ key: string, n: number, by: string }> = []
  const running = new Set<string>()
  let overlaps = 0
  const done = new Mailbox<number>()
  const handler = (by: string) => async (envelope: { partitionKey: string | null, payload: unknown }): Promise<void> => {
    const key = envelope.partitionKey!
    if (running.has(key)) overlaps++
    running.add(key)
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 4))
    running.delete(key)
    handled.push({ key, n: (envelope.payload as { n: number }).n, by })
    done.put(1)
  }
  const first = natsBus(t, { source, partitions: 4 })
  const second = natsBus(t, { source, partitions: 4 })
  await first.subscribe(type, handler('first'), { ordered: true })
  await second.subscribe(type, handler('second'), { ordered: true })
  await first.start()
  await second.start()
  const publisher = natsBus(t, { source: uniqueName('pub'), partitions: 4 })
  await publisher.start()
  const keys = Array.from({ length: 12 }, (_, i) => `key-${i}`)
  const perKey = 10
  for (let n = 0; n < perKey; n++) await Promise.all(keys.map(async (key) => await publisher.publish(createEnvelope({ eventType: type, payload: { n }, source: 'p', partitionKey: key }))))
  await done.take(keys.length * perKey, 'every event', 60_000)
  for (const key of keys) t.same(handled.filter((h) => h.key === key).map((h) => h.n), Array.from({ length: perKey }, (_, n) => n), `${key} in order`)
  t.equal(overlaps, 0, 'never two events of a key at once')
  t.ok(handled.some((h) => h.by === 'first') && handled.some((h) => h.by === 'second'), 'both instances worked')
})

t.test('start() against a port where nothing listens fails fast as an outage naming the server', async (t) => {
  const bus = natsBus(t, { servers: 'nats://127.0.0.1:1', connectTimeoutMs: 2000 })
  const began = Date.now()
  const error = await bus.start().then(() => null, (err: unknown) => err as Error & { code: string })
  t.equal(error?.code, 'NATS_CONNECT_FAILED')
  t.match(error?.message, /Failed to use NATS JetStream at nats:\/\/127\.0\.0\.1:1: .*NATS_URL/)
  t.ok(isTransportOutage(error))
  t.ok(Date.now() - began < 5000, 'within the connect timeout')
  t.notOk(bus.started)
})

t.test('configuration errors name the option and the fix', async (t) => {
  t.throws(() => new NatsBus({ servers: 'http://localhost:4222', source: 's' }), { code: 'NATS_INVALID_CONFIG', message: /servers must be nats:\/\/host:port/ })
  t.throws(() => new NatsBus({ servers: [], source: 's' }), { code: 'NATS_INVALID_CONFIG', message: /servers must list at least one server/ })
  t.throws(() => new NatsBus({ servers: 'nats://x:1', source: 's', prefix: 'a.b' }), { code: 'NATS_INVALID_CONFIG', message: /prefix may hold letters, digits/ })
  t.throws(() => new NatsBus({ servers: 'nats://x:1', source: 's', partitions: 1000 }), { code: 'NATS_INVALID_CONFIG', message: /partitions must be at most 256/ })
  t.throws(() => natsConfigFromEnv({}), { code: 'NATS_INVALID_CONFIG', message: /NATS_URL is not set: set it to the server, e\.g\. NATS_URL=nats:\/\/127\.0\.0\.1:4222/ })
  t.same(natsConfigFromEnv({ NATS_URL: 'nats://a:1,nats://b:2', NATS_PREFIX: 'prod', NATS_REPLICAS: '3' }), { servers: 'nats://a:1,nats://b:2', prefix: 'prod', replicas: 3 })
  const bus = new NatsBus({ servers: 'nats://user:secret@x:1', source: 's' })
  t.equal(bus.settings.safeServers, 'nats://x:1', 'the password never reaches logs or errors')
})
