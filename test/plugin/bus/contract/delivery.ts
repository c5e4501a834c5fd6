import { Type } from '@sinclair/typebox'
import type { Test } from 'tap'
import { createEnvelope, defineEvent, type Delivery, type MessageBus, type MessageEnvelope } from '../../../support/library.js'
import { Mailbox } from '../../../support/mailbox.js'
import { uniqueName } from '../../../support/unique-name.js'
import type { BusHarness, ContractBusOptions } from './harness.js'

/** The delivery half of the bus contract: publish, subscribe, several handlers, shared topics, unsubscribe, start and stop, per-key order. */
export function deliveryContract (t: Test, harness: BusHarness): void {
  const { skip } = harness

  t.test('a published event reaches its subscriber as it was sent', { skip }, async (t) => {
    const source = uniqueName('svc')
    const bus = await started(t, harness, { source })
    const type = uniqueEventType()
    const received = new Mailbox<{ envelope: MessageEnvelope, delivery: Delivery }>()
    await bus.subscribe(type, (envelope, delivery) => received.put({ envelope, delivery }))
    const sent = envelopeOf(type, { orderId: 'o-1', total: 12.5 }, {
      partitionKey: 'o-1', correlationId: 'corr-1', causationId: 'cause-1', headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }
    })
    await bus.publish(sent)
    const [first] = await received.take(1, 'the event')
    t.same(first!.envelope, sent, 'every envelope field arrives as sent')
    t.equal(first!.delivery.subscription, source, 'the subscription is named after the service')
    t.equal(first!.delivery.redeliveryCount, 0)
    t.type(first!.delivery.messageId, 'string')
  })

  t.test('several handlers of one type each get every event; another subscription gets its own copy', { skip }, async (t) => {
    const bus = await started(t, harness, { source: uniqueName('svc') })
    const type = uniqueEventType()
    const first = new Mailbox<string>()
    const second = new Mailbox<string>()
    const other = new Mailbox<string>()
    await bus.subscribe(type, (envelope) => first.put(envelope.eventId))
    await bus.subscribe(type, (envelope) => second.put(envelope.eventId))
    await bus.subscribe(type, (envelope) => other.put(envelope.eventId), { subscription: uniqueName('other') })
    const ids = await publishMany(bus, type, 5)
    t.same((await first.take(5, 'five events, first handler')).sort(), [...ids].sort())
    t.same((await second.take(5, 'five events, second handler')).sort(), [...ids].sort())
    t.same((await other.take(5, 'five events, other subscription')).sort(), [...ids].sort())
  })

  t.test('types sharing a topic: each handler gets its own type; a type nobody here handles is acknowledged, not redelivered', { skip }, async (t) => {
    const source = uniqueName('svc')
    const bus = await started(t, harness, { source })
    const topic = uniqueName('shared')
    const Handled = defineEvent(uniqueEventType('Handled'), Type.Object({ n: Type.Integer() }), { topic })
    const Unhandled = defineEvent(uniqueEventType('Unhandled'), Type.Object({ n: Type.Integer() }), { topic })
    const handled = new Mailbox<number>()
    await bus.subscribe(Handled, (envelope) => handled.put(envelope.payload.n))
    await bus.publish(envelopeOf(Unhandled.type, { n: 1 }), { topic })
    await bus.publish(envelopeOf(Handled.type, { n: 2 }), { topic })
    t.same(await handled.take(1, 'the handled type'), [2])

    // Had the unhandled event not been acknowledged, a handler of its type on the same
    // subscription would get it now.
    const late = new Mailbox<number>()
    await bus.subscribe(Unhandled, (envelope) => late.put(envelope.payload.n))
    await bus.stop()
    await bus.start()
    await bus.publish(envelopeOf(Unhandled.type, { n: 3 }), { topic })
    t.same(await late.take(1, 'the marker event'), [3], 'only the event published after the handler came')
    t.same(handled.items, [2])
  })

  t.test('unsubscribe stops delivery; the subscription keeps what is published meanwhile', { skip }, async (t) => {
    const bus = await started(t, harness, { source: uniqueName('svc') })
    const type = uniqueEventType()
    const before = new Mailbox<number>()
    const onBefore = (envelope: MessageEnvelope): void => before.put((envelope.payload as { n: number }).n)
    await bus.subscribe(type, onBefore)
    await bus.publish(envelopeOf(type, { n: 1 }))
    await before.take(1, 'the first event')
    await bus.unsubscribe(type, onBefore)
    await bus.publish(envelopeOf(type, { n: 2 }))
    const after = new Mailbox<number>()
    await bus.subscribe(type, (envelope) => after.put((envelope.payload as { n: number }).n))
    t.same(await after.take(1, 'the event published while nobody listened'), [2])
    t.same(before.items, [1], 'the removed handler got nothing more')
  })

  t.test('start and stop: publish needs a started bus; subscriptions made before start open on start; stop and start are idempotent', { skip }, async (t) => {
    const bus = harness.newBus(t, { source: uniqueName('svc') })
    t.teardown(async () => await bus.stop())
    const type = uniqueEventType()
    await t.rejects(bus.publish(envelopeOf(type, { n: 0 })), { code: 'OUTBOX_BUS_NOT_STARTED' })
    const received = new Mailbox<number>()
    await bus.subscribe(type, (envelope) => received.put((envelope.payload as { n: number }).n))
    await bus.start()
    await bus.start()
    t.ok(bus.started)
    await bus.publish(envelopeOf(type, { n: 1 }))
    await received.take(1, 'the first event')
    await bus.stop()
    await bus.stop()
    t.notOk(bus.started)
    await t.rejects(bus.publish(envelopeOf(type, { n: 2 })), { code: 'OUTBOX_BUS_NOT_STARTED' })
    await bus.start()
    await bus.publish(envelopeOf(type, { n: 3 }))
    t.same(await received.take(2, 'the event after the restart'), [1, 3])
  })

  t.test('an ordered subscription keeps per-key order, across retries, with several keys at once', { skip }, async (t) => {
    const bus = await started(t, harness, { source: uniqueName('svc') })
    const type = uniqueEventType()
    const keys = ['k1', 'k2', 'k3', 'k4']
    const perKey = 12
    const seen = new Map<string, number[]>(keys.map((key) => [key, []]))
    const failed = new Set<number>()
    const done = new Mailbox<number>()
    await bus.subscribe(type, async (envelope) => {
      const { n } = envelope.payload as { n: number }
      // Every fifth event fails once: the events of its key after it must wait for it.
      if (n % 5 === 0 && !failed.has(n)) {
        failed.add(n)
        throw new Error(`event ${n} fails once`)
      }
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 4))
      seen.get(envelope.partitionKey!)!.push(n)
      done.put(n)
    }, { ordered: true })
    let n = 0
    for (let i = 0; i < perKey; i++) {
      for (const key of keys) await bus.publish(envelopeOf(type, { n: n++ }, { partitionKey: key }))
    }
    await done.take(n, `all ${n} events`, 60_000)
    for (const [index, key] of keys.entries()) {
      const expected = Array.from({ length: perKey }, (_, i) => i * keys.length + index)
      t.same(seen.get(key), expected, `key ${key} in publish order`)
    }
  })
}

export async function started (t: Test, harness: BusHarness, options: ContractBusOptions): Promise<MessageBus> {
  const bus = harness.newBus(t, options)
  t.teardown(async () => await bus.stop())
  await bus.start()
  return bus
}

/** An event type (and so a topic) no other test or run uses. */
export function uniqueEventType (name = 'ThingHappened'): string {
  return `${uniqueName('c')}.${name}`
}

export function envelopeOf (eventType: string, payload: unknown, extra: { partitionKey?: string, correlationId?: string, causationId?: string, headers?: Record<string, string> } = {}): MessageEnvelope {
  return createEnvelope({ eventType, payload, source: 'contract-producer', ...extra })
}

/** Publishes `count` events { n } of a type, one after another; returns their ids. */
export async function publishMany (bus: MessageBus, type: string, count: number, partitionKey?: string): Promise<string[]> {
  const ids: string[] = []
  for (let n = 0; n < count; n++) {
    const envelope = envelopeOf(type, { n }, partitionKey === undefined ? {} : { partitionKey })
    ids.push(envelope.eventId)
    await bus.publish(envelope)
  }
  return ids
}
