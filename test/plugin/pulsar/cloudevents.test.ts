import { Kafka, type CloudEvent, type KafkaMessage } from 'cloudevents'
import t from 'tap'
import { CloudEventsCodec, type CloudEventsMode } from '../../../plugin/codec/cloudevents/index.js'
import { brokerSkipReason } from './broker.js'
import { envelopeOf, rawReader, startedBus, uniqueEventType } from './bus-fixture.js'
import { Mailbox } from '../../support/mailbox.js'

/**
 * The CloudEvents mapping on the real broker, checked with the official cloudevents SDK: what we
 * publish in structured and in binary mode is a valid CloudEvent with the envelope's facts in
 * its attributes, and our own consumers read it back whole.
 */

const skip = await brokerSkipReason()

for (const mode of ['structured', 'binary'] as CloudEventsMode[]) {
  t.test(`${mode} mode: the cloudevents SDK reads id, source, type, time, subject, datacontenttype, correlation and causation from our messages`, { skip }, async (t) => {
    const bus = await startedBus(t, { codec: new CloudEventsCodec({ mode }) })
    const type = uniqueEventType('OrderPlaced')
    const handled = new Mailbox<unknown>()
    await bus.subscribe(type, (envelope) => handled.put(envelope), { subscription: 'self' })
    const reader = await rawReader(t, bus.topicFor(type))
    const sent = envelopeOf(type, { orderId: 'o-1', total: 4200 }, {
      partitionKey: 'o-1',
      correlationId: 'checkout-7',
      causationId: '01a217e1-dbed-72c0-a5ec-564116591b2a',
      headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tenant: 'eu' }
    })
    await bus.publish(sent)

    const [message] = await reader.take(1)
    const headers: Record<string, string> = { 'content-type': message!.properties.content_type! }
    for (const [name, value] of Object.entries(message!.properties)) if (name.startsWith('ce_')) headers[name] = value
    t.equal(Object.keys(headers).length > 1, mode === 'binary', mode === 'binary' ? 'attributes travel as ce_ properties' : 'no ce_ properties: the body carries them')
    const body = message!.bytes.toString('utf8')
    const kafkaMessage: KafkaMessage<string> = { headers, key: message!.key!, value: body, body }
    const event = Kafka.toEvent(kafkaMessage) as CloudEvent<unknown>
    event.validate()
    t.match(event, {
      specversion: '1.0',
      id: sent.eventId,
      source: 'test-producer',
      type,
      subject: 'o-1',
      datacontenttype: 'application/json',
      correlationid: 'checkout-7',
      causationid: sent.causationId,
      partitionkey: 'o-1',
      eventversion: '1.0',
      traceparent: sent.headers.traceparent,
      data: { orderId: 'o-1', total: 4200 }
    })
    t.equal(new Date(event.time!).toISOString(), sent.occurredAt, 'time')
    t.same(await handled.take(1), [sent], 'our consumer reads the whole envelope back')
  })
}
