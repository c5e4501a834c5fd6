import { Type } from '@sinclair/typebox'
import t, { type Test } from 'tap'
import { createEnvelope, DeadLetterError, defineEvent, MemoryBus, type MessageEnvelope } from '../../support/library.js'
import { deferred, waitFor } from '../../support/wait.js'

const ThingHappened = defineEvent('test.ThingHappened', Type.Object({ n: Type.Integer() }))

function envelopeOf (n: number, partitionKey: string | null = null): MessageEnvelope {
  return createEnvelope({ eventType: ThingHappened.type, payload: { n }, source: 'test', partitionKey })
}

async function newBus (t: Test, options: Partial<ConstructorParameters<typeof MemoryBus>[0]> = {}): Promise<MemoryBus> {
  const bus = new MemoryBus({ source: 'test', retryDelayMs: 5, ...options })
  t.teardown(() => bus.stop())
  return bus
}

t.test('delivers asynchronously, never inside publish()', async (t) => {
  const bus = await newBus(t)
  const got = deferred<MessageEnvelope>()
  let inPublish = false
  await bus.subscribe(ThingHappened, (envelope) => {
    t.notOk(inPublish, 'handler runs after publish returned')
    got.resolve(envelope as MessageEnvelope)
  })
  await bus.start()
  const sent = envelopeOf(1)
  inPublish = true
  const publishing = bus.publish(sent)
  inPublish = false
  await publishing
  t.same(await got.promise, sent, 'the handler gets the envelope as sent, through the codec')
})

t.test('every handler of a type gets every event', async (t) => {
  const bus = await newBus(t)
  const a: number[] = []
  const b: number[] = []
  await bus.subscribe(ThingHappened, (e) => { a.push(e.payload.n) })
  await bus.subscribe(ThingHappened, (e) => { b.push(e.payload.n) })
  await bus.start()
  for (let n = 0; n < 10; n++) await bus.publish(envelopeOf(n))
  await waitFor(() => a.length === 10 && b.length === 10, 'both handlers to see 10 events')
  t.same(a.sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  t.same(b.sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
})

t.test('each subscription gets its own copy; instances on one subscription share it', async (t) => {
  const bus = await newBus(t)
  const billing: number[] = []
  const shipping: number[] = []
  await bus.subscribe(ThingHappened, (e) => { billing.push(e.payload.n) }, { subscription: 'billing' })
  await bus.subscribe(ThingHappened, (e) => { shipping.push(e.payload.n) }, { subscription: 'shipping' })
  await bus.start()
  await bus.publish(envelopeOf(1))
  await waitFor(() => billing.length === 1 && shipping.length === 1, 'both subscriptions')
  t.same([billing, shipping], [[1], [1]])
})

t.test('unsubscribe stops delivery to that handler', async (t) => {
  const bus = await newBus(t)
  const kept: number[] = []
  const removed: number[] = []
  const keep = (e: MessageEnvelope<{ n: number }>): void => { kept.push(e.payload.n) }
  const remove = (e: MessageEnvelope<{ n: number }>): void => { removed.push(e.payload.n) }
  await bus.subscribe(ThingHappened, keep)
  await bus.subscribe(ThingHappened, remove)
  await bus.start()
  await bus.publish(envelopeOf(1))
  await waitFor(() => kept.length === 1 && removed.length === 1, 'first event')
  await bus.unsubscribe(ThingHappened, remove)
  await bus.publish(envelopeOf(2))
  await waitFor(() => kept.length === 2, 'second event')
  t.same(removed, [1], 'the removed handler saw only the first event')
})

t.test('a failing handler gets the message again, then it is dead-lettered with the reason', async (t) => {
  const bus = await newBus(t, { maxRedeliveries: 3 })
  const deliveries: number[] = []
  await bus.subscribe(ThingHappened, (_e, delivery) => {
    deliveries.push(delivery.redeliveryCount)
    throw new Error('database is on fire')
  })
  await bus.start()
  const sent = envelopeOf(7)
  await bus.publish(sent)
  await waitFor(() => bus.deadLetters.length === 1, 'the dead letter')
  t.same(deliveries, [0, 1, 2, 3], 'first delivery plus three redeliveries')
  const [dead] = bus.deadLetters
  t.match(dead, { topic: 'test.ThingHappened', subscription: 'test', reason: /delivery 4 of 4: database is on fire/ })
  t.same(dead!.envelope, sent, 'the envelope is kept intact')
})

t.test('a handler that fails twice then succeeds is not dead-lettered', async (t) => {
  const bus = await newBus(t, { maxRedeliveries: 5 })
  let calls = 0
  const done = deferred()
  await bus.subscribe(ThingHappened, () => {
    if (++calls <= 2) throw new Error('transient')
    done.resolve()
  })
  await bus.start()
  await bus.publish(envelopeOf(1))
  await done.promise
  t.equal(calls, 3)
  t.equal(bus.deadLetters.length, 0)
})

t.test('malformed bytes and invalid payloads are dead-lettered at once; the consumer keeps going', async (t) => {
  const bus = await newBus(t, { maxRedeliveries: 5 })
  const seen: number[] = []
  await bus.subscribe(ThingHappened, (e) => { seen.push(e.payload.n) })
  await bus.start()
  bus.publishRaw('test.ThingHappened', Buffer.from('not json at all'))
  bus.publishRaw('test.ThingHappened', Buffer.from(JSON.stringify({ event_id: 'x', event_type: 'test.ThingHappened', occurred_at: '2025-01-01T00:00:00Z', source: 'evil', version: '1', payload: { n: 'seven' } })))
  await bus.publish(envelopeOf(3))
  await waitFor(() => bus.deadLetters.length === 2 && seen.length === 1, 'two dead letters and one good event')
  t.same(seen, [3])
  t.match(bus.deadLetters.map((d) => d.reason), [/Cannot decode message: not JSON/, /Payload of test\.ThingHappened does not match its schema: \/n/])
})

t.test('events of a type nobody here handles are acknowledged, not dead-lettered', async (t) => {
  const bus = await newBus(t)
  const seen: number[] = []
  await bus.subscribe(ThingHappened, (e) => { seen.push(e.payload.n) })
  await bus.start()
  await bus.publish(createEnvelope({ eventType: 'test.OtherThing', payload: {}, source: 's' }), { topic: ThingHappened.topic })
  await bus.publish(envelopeOf(1))
  await waitFor(() => seen.length === 1, 'the known event')
  t.equal(bus.deadLetters.length, 0)
  t.equal(bus.backlog(ThingHappened.topic, 'test'), 0)
})

t.test('ordered subscriptions keep per-key order, even across retries', async (t) => {
  const bus = await newBus(t, { concurrency: 8 })
  const seen = new Map<string, number[]>()
  let failedOnce = false
  await bus.subscribe(ThingHappened, async (e) => {
    // The first event of key "a" fails once: the rest of "a" must wait for it.
    if (e.partitionKey === 'a' && e.payload.n === 0 && !failedOnce) {
      failedOnce = true
      throw new Error('once')
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 3))
    const list = seen.get(e.partitionKey!) ?? []
    list.push(e.payload.n)
    seen.set(e.partitionKey!, list)
  }, { ordered: true })
  await bus.start()
  for (let n = 0; n < 20; n++) {
    for (const key of ['a', 'b', 'c']) await bus.publish(envelopeOf(n, key))
  }
  await waitFor(() => [...seen.values()].reduce((sum, l) => sum + l.length, 0) === 60, 'all 60 events')
  const expected = Array.from({ length: 20 }, (_, n) => n)
  for (const key of ['a', 'b', 'c']) t.same(seen.get(key), expected, `key ${key} in order`)
})

t.test('stop() during an ordered retry\'s long backoff returns at once; the message comes again after a restart', async (t) => {
  const bus = await newBus(t, { retryDelayMs: 60_000 })
  const attempts: number[] = []
  const firstFailed = deferred()
  await bus.subscribe(ThingHappened, (e) => {
    attempts.push(e.payload.n)
    if (attempts.length === 1) {
      firstFailed.resolve()
      throw new Error('fails once: the retry waits a minute')
    }
  }, { ordered: true })
  await bus.start()
  await bus.publish(envelopeOf(1, 'a'))
  await firstFailed.promise
  await new Promise((resolve) => setTimeout(resolve, 50))
  const started = performance.now()
  await bus.stop()
  const stopMs = performance.now() - started
  t.ok(stopMs < 10_000, `stop() did not sit out the minute's backoff (${Math.round(stopMs)} ms)`)
  await bus.start()
  await waitFor(() => attempts.length === 2, 'the message given back by stop, handled after the restart')
  t.same(attempts, [1, 1])
})

t.test('publish before start is refused with a clear error', async (t) => {
  const bus = new MemoryBus({ source: 'test' })
  await t.rejects(bus.publish(envelopeOf(1)), { code: 'OUTBOX_BUS_NOT_STARTED', message: /call bus\.start\(\) first/ })
})

t.test('stop waits for running handlers; later messages wait for the next start', async (t) => {
  const bus = await newBus(t)
  const release = deferred()
  const started = deferred()
  const seen: number[] = []
  await bus.subscribe(ThingHappened, async (e) => {
    if (e.payload.n === 1) {
      started.resolve()
      await release.promise
    }
    seen.push(e.payload.n)
  })
  await bus.start()
  await bus.publish(envelopeOf(1))
  await started.promise
  const stopping = bus.stop()
  release.resolve()
  await stopping
  t.same(seen, [1], 'the running handler finished before stop() returned')
  await bus.start()
  await bus.publish(envelopeOf(2))
  await waitFor(() => seen.length === 2, 'delivery after restart')
  t.same(seen, [1, 2])
})

t.test('options are checked', async (t) => {
  t.throws(() => new MemoryBus({ source: '' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /source/ })
  t.throws(() => new MemoryBus({ source: 's', maxRedeliveries: -1 }), { message: /maxRedeliveries must be a whole number of 0 or more, got -1/ })
  t.throws(() => new MemoryBus({ source: 's', concurrency: 0 }), { message: /concurrency/ })
  const bus = new MemoryBus({ source: 's' })
  await t.rejects(bus.subscribe('NotAnEvent', () => {}), { code: 'OUTBOX_INVALID_EVENT_NAME' })
})

t.test('publish takes an event made by create(): its payload checked and the envelope stamped with the bus\'s source', async (t) => {
  const Routed = defineEvent('test.Routed', Type.Object({ n: Type.Integer() }), { topic: 'routed-events', partitionKey: (p) => `k${p.n}` })
  const bus = await newBus(t, { source: 'stamping-service' })
  const got = deferred<MessageEnvelope>()
  await bus.subscribe(Routed, (envelope) => { got.resolve(envelope as MessageEnvelope) })
  await bus.start()
  await bus.publish(Routed.create({ n: 7 }))
  t.match(await got.promise, { eventType: 'test.Routed', payload: { n: 7 }, source: 'stamping-service', partitionKey: 'k7', version: '1.0' })
  await t.rejects(bus.publish(Routed.create({ n: 'seven' } as never)), { code: 'OUTBOX_INVALID_PAYLOAD' }, 'a payload that fails its schema is refused')
  t.equal(bus.deadLetters.length, 0)
})

t.test('a handler throwing DeadLetterError sends the message to the dead letters at once, with its reason', async (t) => {
  const bus = await newBus(t, { maxRedeliveries: 5 })
  let calls = 0
  await bus.subscribe(ThingHappened, () => {
    calls++
    throw new DeadLetterError('customer c-9 does not exist')
  })
  await bus.start()
  await bus.publish(envelopeOf(1))
  await waitFor(() => bus.deadLetters.length === 1, 'the dead letter')
  t.equal(calls, 1, 'not retried')
  t.match(bus.deadLetters[0], { reason: 'Dead-lettered by its handler: customer c-9 does not exist' })
})
