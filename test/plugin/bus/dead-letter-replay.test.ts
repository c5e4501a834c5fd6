import { Type } from '@sinclair/typebox'
import t, { type Test } from 'tap'
import { createEnvelope, defineEvent, MemoryBus, type MessageEnvelope } from '../../support/library.js'
import { waitFor } from '../../support/wait.js'

const ThingHappened = defineEvent('test.ThingHappened', Type.Object({ n: Type.Integer() }))

function envelopeOf (n: number, partitionKey: string | null = null): MessageEnvelope {
  return createEnvelope({ eventType: ThingHappened.type, payload: { n }, source: 'test', partitionKey })
}

async function newBus (t: Test, options: Partial<ConstructorParameters<typeof MemoryBus>[0]> = {}): Promise<MemoryBus> {
  const bus = new MemoryBus({ source: 'test', retryDelayMs: 5, maxRedeliveries: 1, ...options })
  t.teardown(() => bus.stop())
  return bus
}

t.test('a handler that fails until fixed: dead-lettered, then replayed and handled once', async (t) => {
  const bus = await newBus(t)
  let fixed = false
  const handled: number[] = []
  await bus.subscribe(ThingHappened, (envelope) => {
    if (!fixed) throw new Error('the stock table is locked')
    handled.push(envelope.payload.n)
  })
  await bus.start()
  await bus.publish(envelopeOf(1, 'order-1'))
  await waitFor(() => bus.deadLetters.length === 1, 'the dead letter')
  t.match(bus.deadLetters[0], { topic: ThingHappened.topic, subscription: 'test', key: 'order-1', reason: /delivery 2 of 2: the stock table is locked/ })

  fixed = true
  t.equal(await bus.replayDeadLetters({ topic: ThingHappened.type, subscription: 'test' }), 1, 'one message sent back')
  t.same(bus.deadLetters, [], 'and no longer parked')
  await bus.publish(envelopeOf(2))
  await waitFor(() => handled.length === 2, 'the replayed event and the next one')
  t.same(handled, [1, 2], 'the replayed event was handled once, before the next')
  t.equal(await bus.replayDeadLetters({ topic: ThingHappened.type, subscription: 'test' }), 0, 'nothing left to replay')
  t.equal(bus.backlog(ThingHappened.topic, 'test'), 0)
})

t.test('replay takes only the given subscription\'s messages, oldest first, at most limit; every subscription of the topic gets them again', async (t) => {
  const bus = await newBus(t, { maxRedeliveries: 0 })
  let fixed = false
  const handled: Record<string, number[]> = { billing: [], shipping: [] }
  for (const subscription of ['billing', 'shipping']) {
    await bus.subscribe(ThingHappened, (envelope) => {
      if (!fixed) throw new Error('down')
      handled[subscription]!.push(envelope.payload.n)
    }, { subscription })
  }
  await bus.start()
  for (const n of [1, 2, 3]) await bus.publish(envelopeOf(n))
  await waitFor(() => bus.deadLetters.length === 6, 'three dead letters per subscription')

  fixed = true
  t.equal(await bus.replayDeadLetters({ topic: ThingHappened.topic, subscription: 'billing', limit: 2 }), 2)
  t.same(bus.deadLetters.map((letter) => [letter.subscription, letter.envelope?.payload]).sort(), [
    ['billing', { n: 3 }], ['shipping', { n: 1 }], ['shipping', { n: 2 }], ['shipping', { n: 3 }]
  ], 'the two oldest of billing left the dead letters; shipping\'s stay')
  await waitFor(() => handled.billing!.length === 2 && handled.shipping!.length === 2, 'both subscriptions to handle the replayed messages')
  t.same(handled, { billing: [1, 2], shipping: [1, 2] }, 'a replay goes to the topic: shipping gets them too (handlers are idempotent)')
})

t.test('replay needs a started bus and says which options are wrong', async (t) => {
  const bus = await newBus(t)
  await t.rejects(bus.replayDeadLetters({ topic: ThingHappened.topic, subscription: 'test' }), { code: 'OUTBOX_BUS_NOT_STARTED' })
  await bus.start()
  await t.rejects(bus.replayDeadLetters({ topic: ThingHappened.topic } as never), { code: 'OUTBOX_INVALID_OPTIONS', message: /replayDeadLetters needs \{ topic, subscription \}/ })
  await t.rejects(bus.replayDeadLetters({ topic: ThingHappened.topic, subscription: 'test', limit: 0 }), { code: 'OUTBOX_INVALID_OPTIONS', message: /limit must be a whole number of 1 or more, got 0/ })
})
