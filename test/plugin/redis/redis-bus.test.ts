import t, { type Test } from 'tap'
import { createEnvelope, isTransportOutage } from '../../support/library.js'
import { RedisBus, redisConfigFromEnv, type RedisBusOptions } from '../../../plugin/redis/index.js'
import { Mailbox } from '../../support/mailbox.js'
import { recordingLogger } from '../../support/recording-logger.js'
import { uniqueName } from '../../support/unique-name.js'
import { waitFor } from '../../support/wait.js'
import { plainRedis, readStream, redisSkipReason, redisTestPrefix, redisUrl } from './server.js'

const skip = await redisSkipReason()
const keyPrefix = skip === false ? redisTestPrefix(t) : 'unused:'

function redisBus (t: Test, options: Partial<RedisBusOptions> = {}): RedisBus {
  const bus = new RedisBus({ url: redisUrl, source: uniqueName('svc'), keyPrefix, retryDelayMs: 50, blockMs: 300, logger: recordingLogger(), ...options })
  t.teardown(async () => await bus.stop())
  return bus
}

t.test('what is on the server: one entry with the encoded envelope, the partition key and the ids as fields, in the stream the key hashes to', { skip }, async (t) => {
  const bus = redisBus(t)
  await bus.start()
  const type = `${uniqueName('w')}.ThingHappened`
  const sent = createEnvelope({ eventType: type, payload: { n: 1 }, source: 'wire-test', partitionKey: 'order-7', correlationId: 'corr-7', causationId: 'cause-7', headers: { traceparent: '00-abc-def-01' } })
  await bus.publish(sent)
  const redis = plainRedis(t)
  const stream = bus.streamFor(type, 'order-7')
  t.equal(bus.streamsOf(type).length, 8, 'eight streams per topic by default')
  t.ok(bus.streamsOf(type).includes(stream))
  const [entry] = await readStream(redis, stream)
  t.equal((JSON.parse(entry!.data.toString()) as { event_id: string }).event_id, sent.eventId)
  t.same(entry!.fields, { key: 'order-7', event_id: sent.eventId, event_type: type, content_type: 'application/json', correlation_id: 'corr-7', causation_id: 'cause-7', traceparent: '00-abc-def-01' })
  for (let i = 0; i < 5; i++) await bus.publish(createEnvelope({ eventType: type, payload: { n: i }, source: 'wire-test', partitionKey: 'order-7' }))
  t.equal((await readStream(redis, stream)).length, 6, 'every event of the key in the same stream')
})

t.test('entries a dead consumer left pending are taken over after consumerTimeoutMs (XAUTOCLAIM), counted as redelivered', { skip }, async (t) => {
  const source = uniqueName('svc')
  const type = `${uniqueName('dead')}.ThingHappened`
  const publisher = redisBus(t, { source: uniqueName('pub') })
  await publisher.start()
  const subscriber = redisBus(t, { source, consumerTimeoutMs: 900 })
  // The group exists before the publish: a consumer that died after reading it held the entry.
  const received = new Mailbox<{ id: string, count: number }>()
  await subscriber.subscribe(type, (envelope, delivery) => received.put({ id: envelope.eventId, count: delivery.redeliveryCount }))
  await subscriber.start()
  await subscriber.stop()
  const sent = createEnvelope({ eventType: type, payload: { n: 1 }, source: 'p', partitionKey: 'k' })
  await publisher.publish(sent)
  const redis = plainRedis(t)
  const read = await redis.call('XREADGROUP', 'GROUP', source, 'crashed-consumer', 'COUNT', 10, 'STREAMS', publisher.streamFor(type, 'k'), '>') as unknown[]
  t.equal(read.length, 1, 'the dead consumer took the entry and never acknowledged it')
  await subscriber.start()
  const [first] = await received.take(1, 'the taken-over entry', 15_000)
  t.same(first, { id: sent.eventId, count: 1 }, 'delivered again, with the dead consumer\'s delivery counted')
  await waitFor(async () => (await redis.call('XPENDING', publisher.streamFor(type, 'k'), source) as [number])[0] === 0, 'the entry acknowledged')
})

t.test('an ordered subscription on two instances: streams are split by lease, each key handled in order by one instance at a time', { skip }, async (t) => {
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
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 6))
    running.delete(key)
    handled.push({ key, n: (envelope.payload as { n: number }).n, by })
    done.put(1)
  }
  const first = redisBus(t, { source, consumerTimeoutMs: 900 })
  const second = redisBus(t, { source, consumerTimeoutMs: 900 })
  await first.subscribe(type, handler('first'), { ordered: true })
  await second.subscribe(type, handler('second'), { ordered: true })
  await first.start()
  await second.start()
  const redis = plainRedis(t)
  const leaseHolders = async (): Promise<string[]> => await Promise.all(first.streamsOf(type).map(async (stream) => await redis.get(`${stream}:lease:${source}`) ?? ''))
  await waitFor(async () => {
    const holders = await leaseHolders()
    return holders.filter((h) => h === first.consumerName).length === 4 && holders.filter((h) => h === second.consumerName).length === 4
  }, 'four streams each', 20_000, 100)
  const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`)
  const perKey = 15
  const publisher = redisBus(t, { source: uniqueName('pub') })
  await publisher.start()
  for (let n = 0; n < perKey; n++) await Promise.all(keys.map(async (key) => await publisher.publish(createEnvelope({ eventType: type, payload: { n }, source: 'p', partitionKey: key }))))
  await done.take(keys.length * perKey, 'every event', 60_000)
  for (const key of keys) t.same(handled.filter((h) => h.key === key).map((h) => h.n), Array.from({ length: perKey }, (_, n) => n), `${key} in order`)
  t.equal(overlaps, 0, 'never two events of a key at once')
  t.ok(handled.some((h) => h.by === 'first') && handled.some((h) => h.by === 'second'), 'both instances worked')

  // One instance goes away without a word (its leases are left to expire): the other takes every stream.
  await first.stop()
  await waitFor(async () => (await leaseHolders()).every((h) => h === second.consumerName), 'the other instance holding every stream', 20_000, 100)
})

t.test('start() against a port where nothing listens fails fast as an outage naming the server', async (t) => {
  const bus = redisBus(t, { url: 'redis://127.0.0.1:1', connectTimeoutMs: 2000 })
  const began = Date.now()
  const error = await bus.start().then(() => null, (err: unknown) => err as Error & { code: string })
  t.equal(error?.code, 'REDIS_CONNECT_FAILED')
  t.match(error?.message, /Failed to use Redis at redis:\/\/127\.0\.0\.1:1: .*REDIS_URL/)
  t.ok(isTransportOutage(error))
  t.ok(Date.now() - began < 5000, 'within the connect timeout')
  t.notOk(bus.started)
})

t.test('configuration errors name the option and the fix', async (t) => {
  t.throws(() => new RedisBus({ url: 'http://localhost:6379', source: 's' }), { code: 'REDIS_INVALID_CONFIG', message: /url must start with redis:\/\/ or rediss:\/\// })
  t.throws(() => new RedisBus({ url: 'not a url', source: 's' }), { code: 'REDIS_INVALID_CONFIG', message: /url must be redis:\/\/host:port/ })
  t.throws(() => new RedisBus({ url: 'redis://x:1', source: 's', consumerTimeoutMs: 10 }), { code: 'REDIS_INVALID_CONFIG', message: /consumerTimeoutMs must be at least 300/ })
  t.throws(() => new RedisBus({ url: 'redis://x:1', source: 's', streamsPerTopic: 0 }), { code: 'OUTBOX_INVALID_OPTIONS', message: /streamsPerTopic must be a whole number of 1 or more/ })
  t.throws(() => redisConfigFromEnv({}), { code: 'REDIS_INVALID_CONFIG', message: /REDIS_URL is not set: set it to the server, e\.g\. REDIS_URL=redis:\/\/127\.0\.0\.1:6379/ })
  t.throws(() => redisConfigFromEnv({ REDIS_URL: 'redis://x:1', REDIS_STREAMS_PER_TOPIC: 'many' }), { code: 'REDIS_INVALID_CONFIG', message: /REDIS_STREAMS_PER_TOPIC must be a whole number/ })
  t.same(redisConfigFromEnv({ REDIS_URL: 'redis://x:1', REDIS_KEY_PREFIX: 'p:', REDIS_STREAMS_PER_TOPIC: '4', REDIS_OTHER: '' }), { url: 'redis://x:1', keyPrefix: 'p:', streamsPerTopic: 4 })
  const bus = new RedisBus({ url: 'redis://user:secret@x:1/2', source: 's' })
  t.equal(bus.settings.safeUrl, 'redis://x:1/2', 'the password never reaches logs or errors')
})

t.test('a consumer that stops holding nothing leaves no name behind; one that holds entries keeps its name and them', { skip }, async (t) => {
  const source = uniqueName('svc')
  const type = `${uniqueName('names')}.ThingHappened`
  const redis = plainRedis(t)
  const names = async (bus: RedisBus): Promise<string[]> => {
    const rows = await redis.call('XINFO', 'CONSUMERS', bus.streamFor(type, 'k'), source) as unknown[][]
    return rows.map((row) => String(row[1]))
  }
  const tidy = redisBus(t, { source, drainTimeoutMs: 100 })
  const received = new Mailbox<number>()
  await tidy.subscribe(type, (envelope) => received.put((envelope.payload as { n: number }).n))
  await tidy.start()
  await tidy.publish(createEnvelope({ eventType: type, payload: { n: 1 }, source: 'p', partitionKey: 'k' }))
  await received.take(1, 'the event')
  t.same(await names(tidy), [tidy.consumerName], 'a consumer while it runs')
  await tidy.stop()
  t.same(await names(tidy), [], 'gone once it stopped with nothing held')

  const holding = redisBus(t, { source, drainTimeoutMs: 100 })
  const entered = new Mailbox<number>()
  const hang = async (): Promise<void> => { entered.put(1); await new Promise(() => {}) }
  await holding.subscribe(type, hang)
  await holding.start()
  await holding.publish(createEnvelope({ eventType: type, payload: { n: 2 }, source: 'p', partitionKey: 'k' }))
  await entered.take(1, 'the held event')
  await holding.stop()
  t.same(await names(holding), [holding.consumerName], 'a consumer stopped while holding an entry keeps its name')
  const [pending] = await redis.call('XPENDING', holding.streamFor(type, 'k'), source) as [number]
  t.equal(pending, 1, 'and the entry it holds, for the next consumer to take')
})
