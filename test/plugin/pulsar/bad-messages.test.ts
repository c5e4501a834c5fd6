import { randomBytes } from 'node:crypto'
import t from 'tap'
import { createEnvelope } from '../../support/library.js'
import { waitFor } from '../../support/wait.js'
import { admin, brokerSkipReason, recordingLogger, uniqueName } from './broker.js'
import { envelopeOf, handlingBusWithDeadLetterReader, publishRaw, startedBus, uniqueEventType } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'

/**
 * What a Pulsar consumer does with messages it cannot use, when they arrive straight on a topic
 * it reads (a foreign producer, a bug elsewhere): undecodable ones are dead-lettered with the
 * reason, events of a type nobody here knows are acknowledged and logged; either way the
 * messages behind them keep flowing. (Malformed JSON and schema failures: dead-letter.test.ts.)
 */

const skip = await brokerSkipReason()

t.test('an event of a type no handler knows is acknowledged and logged as unknown, not dead-lettered; later events still arrive', { skip }, async (t) => {
  const source = uniqueName('svc')
  const logger = recordingLogger()
  const bus = await startedBus(t, { source, logger })
  const type = uniqueEventType()
  const handled = new Mailbox<string>()
  await bus.subscribe(type, (envelope) => handled.put(envelope.eventId))
  const stranger = createEnvelope({ eventType: `${type.split('.')[0]}.NobodyKnowsThis`, payload: { any: 'thing' }, source: 'another-service' })
  await bus.publish(stranger, { topic: type })
  const good = envelopeOf(type, { n: 1 })
  await bus.publish(good)

  t.same(await handled.take(1), [good.eventId], 'the event behind it is handled')
  await waitFor(() => logger.lines.some((line) => line.msg === 'Acknowledged an event of an unknown type'), 'the unknown-type log line')
  const line = logger.lines.find((line) => line.msg === 'Acknowledged an event of an unknown type')!
  t.equal(line.level, 'warn')
  t.match(line.obj, { eventType: stranger.eventType, eventId: stranger.eventId, topic: type, subscription: source })
  await waitFor(async () => {
    const subscription = (await admin.topicStats(bus.topicFor(type))).subscriptions[source]
    return subscription?.msgBacklog === 0 && subscription.unackedMessages === 0
  }, 'both messages to be acknowledged')
  await t.rejects(admin.topicStats(`${bus.topicFor(type)}-${source}-DLQ`), { code: 'PULSAR_TOPIC_NOT_FOUND' }, 'nothing was dead-lettered')
  t.notOk(logger.lines.some((line) => line.msg === 'Message dead-lettered'))
})

t.test('random bytes and envelopes with missing or wrong fields are dead-lettered, each with its reason; the consumer keeps going', { skip }, async (t) => {
  const { bus, type, handled, dlq } = await handlingBusWithDeadLetterReader(t)
  // A well-formed envelope on the wire, from which each case below takes a field away or spoils one.
  const valid: Record<string, unknown> = {
    event_id: '01a217e1-dbed-72c0-a5ec-564116591b2a', event_type: type, occurred_at: '2025-11-04T10:00:00Z', source: 'elsewhere', version: '1.0', payload: {}
  }
  const without = (field: string): Record<string, unknown> => Object.fromEntries(Object.entries(valid).filter(([name]) => name !== field))
  const bad: Array<[string, Buffer, RegExp]> = [
    ['random bytes', randomBytes(64), /^Cannot decode message: not JSON/],
    ['a JSON array', Buffer.from('[1,2,3]'), /^Cannot decode message: expected a JSON object, got an array/],
    ['no event_id', Buffer.from(JSON.stringify(without('event_id'))), /^Cannot decode message: Invalid message envelope: eventId must be a non-empty string of at most 200 characters, got undefined/],
    ['no payload', Buffer.from(JSON.stringify(without('payload'))), /^Cannot decode message: Invalid message envelope: payload is missing/],
    ['a number as event_type', Buffer.from(JSON.stringify({ ...valid, event_type: 42 })), /^Cannot decode message: Invalid message envelope: eventType 42 is not a \{domain\}\.\{EventName\} name/],
    ['a date that is not one', Buffer.from(JSON.stringify({ ...valid, occurred_at: 'yesterday' })), /^Cannot decode message: Invalid message envelope: occurredAt "yesterday" is not an ISO 8601 date-time/],
    ['headers that are not strings', Buffer.from(JSON.stringify({ ...valid, headers: { traceparent: 7 } })), /^Cannot decode message: Invalid message envelope: header traceparent must be a string/]
  ]
  for (const [name, bytes] of bad) await publishRaw(t, bus.topicFor(type), bytes, name)
  const good = envelopeOf(type, { n: 1 })
  await bus.publish(good)

  t.same(await handled.take(1), [good.eventId], 'the good event behind them is handled')
  const parked = await dlq.take(bad.length, 'every bad message parked')
  for (const [name, bytes, reason] of bad) {
    const message = parked.find((m) => m.key === name)
    t.ok(message, `${name}: parked`)
    t.match(message?.properties.dead_letter_reason, reason, `${name}: the reason`)
    t.same(message?.bytes, bytes, `${name}: the bytes untouched`)
  }
  t.equal(handled.items.length, 1, 'no bad message reached the handler')
})
