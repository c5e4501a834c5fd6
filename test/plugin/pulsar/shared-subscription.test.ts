import t, { type Test } from 'tap'
import type { Delivery, MessageEnvelope } from '../../support/library.js'
import { brokerSkipReason, uniqueName } from './broker.js'
import { envelopeOf, startedBus, uniqueEventType } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'

const skip = await brokerSkipReason()

interface Handled { instance: string, eventId: string, redeliveryCount: number, key: string | null, n: number }

/** Two "instances" of one service: two buses with the same source, so the same subscription. */
async function twoInstances (t: Test, options: { ordered: boolean }): Promise<{ handled: Mailbox<Handled>, publish: (envelope: MessageEnvelope) => Promise<void>, type: string }> {
  const source = uniqueName('svc')
  const type = uniqueEventType()
  const handled = new Mailbox<Handled>()
  for (const instance of ['a', 'b']) {
    // A small window and a slow handler, so that one instance cannot take everything at once.
    const bus = await startedBus(t, { source, concurrency: 2, receiverQueueSize: 4 })
    await bus.subscribe(type, async (envelope: MessageEnvelope, delivery: Delivery) => {
      await new Promise((resolve) => setTimeout(resolve, 3))
      handled.put({ instance, eventId: envelope.eventId, redeliveryCount: delivery.redeliveryCount, key: envelope.partitionKey, n: (envelope.payload as { n: number }).n })
    }, { ordered: options.ordered })
  }
  const producer = await startedBus(t)
  return { handled, publish: async (envelope) => await producer.publish(envelope), type }
}

t.test('two instances on one Shared subscription split the work: each some, together all, none twice', { skip }, async (t) => {
  const { handled, publish, type } = await twoInstances(t, { ordered: false })
  const sent = Array.from({ length: 60 }, (_, n) => envelopeOf(type, { n }))
  await Promise.all(sent.map(publish))
  const ids = new Set(sent.map((envelope) => envelope.eventId))
  await handled.until((items) => ids.size === new Set(items.map((item) => item.eventId)).size, 'every event handled')
  const byInstance = (instance: string): number => handled.items.filter((item) => item.instance === instance).length
  t.ok(byInstance('a') > 0, `instance a handled ${byInstance('a')}`)
  t.ok(byInstance('b') > 0, `instance b handled ${byInstance('b')}`)
  const firstDeliveries = handled.items.filter((item) => item.redeliveryCount === 0)
  t.equal(new Set(firstDeliveries.map((item) => item.eventId)).size, firstDeliveries.length, 'no event delivered twice as a first delivery')
  t.equal(handled.items.length, 60, 'no redeliveries were needed')
})

t.test('two instances on one Key_Shared subscription: a key stays with one instance, in order', { skip }, async (t) => {
  const { handled, publish, type } = await twoInstances(t, { ordered: true })
  // 16 keys: the chance that the hash ranges of two consumers put all of them on one side is 2^-15.
  const keys = Array.from({ length: 16 }, (_, i) => `key-${i}`)
  const sends = []
  for (let n = 0; n < 96; n++) sends.push(publish(envelopeOf(type, { n }, { partitionKey: keys[n % keys.length] })))
  await Promise.all(sends)
  await handled.take(96, 'every event handled')
  const instancesOf = new Map<string, Set<string>>()
  for (const item of handled.items) instancesOf.set(item.key!, (instancesOf.get(item.key!) ?? new Set()).add(item.instance))
  t.ok([...instancesOf.values()].every((instances) => instances.size === 1), 'each key handled by one instance')
  t.equal(new Set(handled.items.map((item) => item.instance)).size, 2, 'both instances got keys')
  for (const key of keys) {
    const order = handled.items.filter((item) => item.key === key).map((item) => item.n)
    t.same(order, [...order].sort((a, b) => a - b), `${key} in publish order`)
  }
})
