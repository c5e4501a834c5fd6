import type { Test } from 'tap'
import { isTransportOutage, type MessageBus, type MessageEnvelope } from '../../../support/library.js'
import { Mailbox } from '../../../support/mailbox.js'
import { uniqueName } from '../../../support/unique-name.js'
import { deferred } from '../../../support/wait.js'
import { envelopeOf, publishMany, started, uniqueEventType } from './delivery.js'
import type { BusHarness } from './harness.js'

/**
 * The failure half of the bus contract: redelivery with a count, dead letters with the reason,
 * foreign bytes, a consumer that goes away mid-handler, a graceful stop, a broker outage.
 */
export function failureContract (t: Test, harness: BusHarness): void {
  const { skip } = harness

  t.test('a failing handler gets the message again, each delivery counted', { skip }, async (t) => {
    const bus = await started(t, harness, { source: uniqueName('svc'), maxRedeliveries: 5 })
    const type = uniqueEventType()
    const counts = new Mailbox<number>()
    const handled = deferred()
    await bus.subscribe(type, (_envelope, delivery) => {
      counts.put(delivery.redeliveryCount)
      if (delivery.redeliveryCount < 2) throw new Error('not yet')
      handled.resolve()
    })
    await bus.publish(envelopeOf(type, { n: 1 }))
    await handled.promise
    t.same(counts.items, [0, 1, 2], 'first delivery, then two redeliveries counted 1 and 2')
  })

  t.test('a message that keeps failing is dead-lettered with the reason and its bytes; the others keep flowing', { skip }, async (t) => {
    const source = uniqueName('svc')
    const bus = await started(t, harness, { source, maxRedeliveries: 2 })
    const type = uniqueEventType()
    const good = new Mailbox<number>()
    let poisonDeliveries = 0
    await bus.subscribe(type, (envelope) => {
      const { n } = envelope.payload as { n: number }
      if (n === 0) {
        poisonDeliveries++
        throw new Error('the ledger refuses event 0')
      }
      good.put(n)
    })
    const poison = envelopeOf(type, { n: 0 })
    await bus.publish(poison)
    for (let n = 1; n <= 3; n++) await bus.publish(envelopeOf(type, { n }))
    const [letter] = await (await harness.deadLetters(t, bus, type, source)).take(1, 'the dead letter')
    t.match(letter!.reason, /delivery 3 of 3: the ledger refuses event 0/, 'the reason names the handler\'s error and the attempts')
    t.equal((JSON.parse(letter!.bytes.toString()) as { event_id: string }).event_id, poison.eventId, 'the original bytes are parked')
    t.equal(poisonDeliveries, 3, 'delivered once, redelivered maxRedeliveries times')
    t.same((await good.take(3, 'the good events')).sort(), [1, 2, 3])
  })

  t.test('random bytes on a topic are dead-lettered at once with the reason; good events keep flowing', { skip }, async (t) => {
    const source = uniqueName('svc')
    const bus = await started(t, harness, { source, maxRedeliveries: 5 })
    const type = uniqueEventType()
    const good = new Mailbox<number>()
    await bus.subscribe(type, (envelope) => good.put((envelope.payload as { n: number }).n))
    const junk = Buffer.from([0xff, 0x00, 0x13, 0x37, 0xfe, 0x80])
    await harness.publishRaw(t, bus, type, junk, 'junk-key')
    await bus.publish(envelopeOf(type, { n: 1 }))
    const [letter] = await (await harness.deadLetters(t, bus, type, source)).take(1, 'the junk parked')
    t.match(letter!.reason, /Cannot decode message/)
    t.same(letter!.bytes, junk, 'the bytes are parked untouched')
    t.same(await good.take(1, 'the good event'), [1])
  })

  t.test('a consumer that goes away while its handler runs: the message is delivered again to the next one', { skip }, async (t) => {
    const source = uniqueName('svc')
    const bus = await started(t, harness, { source, drainTimeoutMs: 200 })
    const type = uniqueEventType()
    const stuck = new Mailbox<string>()
    const neverEnds = new Promise<void>(() => {})
    const hang = async (envelope: MessageEnvelope): Promise<void> => {
      stuck.put(envelope.eventId)
      await neverEnds
    }
    await bus.subscribe(type, hang)
    const [id] = await publishMany(bus, type, 1)
    await stuck.take(1, 'the first delivery')
    // The consumer closes with the message unsettled (its handler is still running).
    await bus.unsubscribe(type, hang)
    const next = new Mailbox<string>()
    await bus.subscribe(type, (envelope) => next.put(envelope.eventId))
    t.same(await next.take(1, 'the redelivery', 60_000), [id])
  })

  t.test('stop lets running handlers finish and loses nothing: what was not handled comes after the restart', { skip }, async (t) => {
    const bus = await started(t, harness, { source: uniqueName('svc'), drainTimeoutMs: 10_000 })
    const type = uniqueEventType()
    // More events than a bus runs at once (concurrency 32), so that stop() comes part way.
    const count = 100
    let running = 0
    let cut = 0
    const handled = new Mailbox<string>()
    await bus.subscribe(type, async (envelope) => {
      running++
      await new Promise((resolve) => setTimeout(resolve, 50))
      if (!bus.started) cut++
      running--
      handled.put(envelope.eventId)
    })
    // All at once, so that the consumer is still near the start when stop() comes.
    const envelopes = Array.from({ length: count }, (_, n) => envelopeOf(type, { n }))
    const ids = envelopes.map((envelope) => envelope.eventId)
    await Promise.all(envelopes.map(async (envelope) => await bus.publish(envelope)))
    await handled.take(3, 'the first events')
    await bus.stop()
    t.equal(running, 0, 'stop() returned only once the running handlers finished')
    const beforeRestart = handled.items.length
    await bus.start()
    await handled.until((items) => ids.every((id) => items.includes(id)), 'every event handled', 60_000)
    t.ok(beforeRestart < count, `stopped part way (${beforeRestart} of ${count} handled)`)
    t.comment(`${cut} handlers were finishing while the bus stopped`)
  })

  t.test('a broker outage: publishes fail as outages, the consumer comes back by itself, what it was handling is not lost', {
    skip: skip !== false ? skip : typeof harness.outage === 'string' ? harness.outage : false,
    timeout: 600_000
  }, async (t) => {
    if (typeof harness.outage === 'string') return
    const broker = await harness.outage(t)
    const relay = broker.newBus(t, { source: uniqueName('relay') })
    const consumer = broker.newBus(t, { source: uniqueName('svc') })
    t.teardown(async () => { await relay.stop(); await consumer.stop() })
    const type = uniqueEventType()
    const received = new Mailbox<string>()
    const entered = new Mailbox<string>()
    const outageOver = deferred()
    await consumer.subscribe(type, async (envelope) => {
      entered.put(envelope.eventId)
      // Events from 50 on are in their handler while the broker goes away, and finish after.
      if ((envelope.payload as { n: number }).n >= 50) await outageOver.promise
      received.put(envelope.eventId)
    })
    await relay.start()
    await consumer.start()
    const before = await publishMany(relay, type, 3)
    await received.until((items) => before.every((id) => items.includes(id)), 'the events before the outage', 60_000)
    const held = [envelopeOf(type, { n: 50 }), envelopeOf(type, { n: 51 })]
    for (const envelope of held) await relay.publish(envelope)
    await entered.until((items) => held.every((e) => items.includes(e.eventId)), 'the held events in their handler', 60_000)

    await broker.stop()
    const error = await publishError(relay, envelopeOf(type, { n: 99 }))
    t.ok(error !== null && isTransportOutage(error), `a publish while the broker is down fails as an outage (${(error as { code?: string } | null)?.code}: ${error?.message})`)

    await broker.start()
    outageOver.resolve()
    const after = envelopeOf(type, { n: 100 })
    await publishWhenBack(relay, after, 120_000)
    await received.until((items) => items.includes(after.eventId), 'the event after the outage', 120_000)
    await received.until((items) => held.every((e) => items.includes(e.eventId)), 'the events held through the outage', 120_000).catch(() => {})
    t.same(held.filter((e) => !received.items.includes(e.eventId)).map((e) => e.eventId), [], 'the events in their handlers when the broker went away were handled')
    t.same(before.filter((id) => !received.items.includes(id)), [], 'the events before the outage were handled')
  })
}

async function publishError (bus: MessageBus, envelope: MessageEnvelope): Promise<Error | null> {
  try {
    await bus.publish(envelope)
    return null
  } catch (err) {
    return err as Error
  }
}

/** What the projector does after an outage: try again until a publish goes through. */
async function publishWhenBack (bus: MessageBus, envelope: MessageEnvelope, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const error = await publishError(bus, envelope)
    if (error === null) return
    if (!isTransportOutage(error)) throw error
    if (Date.now() > deadline) throw new Error(`still failing ${timeoutMs} ms after the broker came back: ${error.message}`)
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
}
