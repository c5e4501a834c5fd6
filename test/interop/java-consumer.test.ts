import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { createEnvelope, JsonCodec, outbox, type MessageEnvelope, type OutboxDatabase } from '../support/library.js'
import { AvroCodec } from '../../plugin/codec/avro/index.js'
import { queryRows } from '../../plugin/database/database.js'
import { SERVICE_NAME } from '../../service/app.js'
import { demoEvents } from '../../service/events.js'
import { freshDatabase } from '../support/databases.js'
import { apple, placeOrder, startOrderService, waitForSettled } from '../support/order-service.js'
import { freshNamespace, testBrokerConfig } from '../support/pulsar-namespace.js'
import { waitFor } from '../support/wait.js'
import { brokerConfig, brokerSkipReason } from '../plugin/pulsar/broker.js'
import { publishRaw, startedBus, uniqueEventType } from '../plugin/pulsar/bus-fixture.js'
import { buildJavaConsumer, runJavaConsumer, type JavaReading } from './java-consumer.js'

/**
 * A consumer in another language, written from ENVELOPE.md alone: the Java program of
 * test/interop/java (the official Pulsar client) reads what our bus published on the real broker,
 * decodes it, checks every envelope field against the document's rules, and prints what it read.
 */

const skip = await brokerSkipReason()
const webUrl = brokerConfig.webServiceUrl ?? 'http://127.0.0.1:8080'

/** What the Java consumer should have read for an envelope, in the wire format's field names. */
function expectedReading (envelope: MessageEnvelope): JavaReading['envelope'] {
  return {
    event_id: envelope.eventId,
    event_type: envelope.eventType,
    occurred_at: envelope.occurredAt,
    source: envelope.source,
    correlation_id: envelope.correlationId,
    causation_id: envelope.causationId,
    version: envelope.version,
    partition_key: envelope.partitionKey,
    headers: { ...envelope.headers },
    payload: envelope.payload
  }
}

t.test('a Java consumer reads every envelope field of our JSON messages, as ENVELOPE.md specifies them', { skip }, async (t) => {
  const classPath = await buildJavaConsumer()
  const bus = await startedBus(t)
  const type = uniqueEventType('OrderPlaced')
  const full = createEnvelope({
    eventType: type,
    payload: { orderId: 'o-1', total: 4200, items: [{ sku: 'apple', quantity: 2 }], note: 'grüße, 東京' },
    source: 'order-service',
    correlationId: 'checkout-7',
    causationId: '01a217e1-dbed-72c0-a5ec-564116591b2a',
    version: '2.1',
    partitionKey: 'o-1',
    headers: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', tracestate: 'vendor=1', tenant: 'eu' }
  })
  const bare = createEnvelope({ eventType: type, payload: { orderId: 'o-2', total: 0 }, source: 'order-service' })
  await bus.publish(full)
  await bus.publish(bare)

  const { exitCode, readings, stderr } = await runJavaConsumer(classPath, { serviceUrl: brokerConfig.serviceUrl, webUrl, topics: [bus.topicFor(type)], count: 2 })
  t.equal(exitCode, 0, `the Java consumer found no broken rule${exitCode === 0 ? '' : `: ${stderr}`}`)
  t.same(readings.map((reading) => reading.envelope), [expectedReading(full), expectedReading(bare)], 'every field, as published')
  t.same(readings.map((reading) => reading.key), ['o-1', null], 'the partition key is the message key')
  t.match(readings[0]?.properties, { content_type: 'application/json', event_id: full.eventId, event_type: type, correlation_id: 'checkout-7', traceparent: full.headers.traceparent })
})

t.test('the Java consumer fails on a message that breaks ENVELOPE.md, naming the rule', { skip }, async (t) => {
  const classPath = await buildJavaConsumer()
  const type = uniqueEventType()
  const topic = `persistent://${brokerConfig.tenant}/${brokerConfig.namespace}/${type}`
  // A well-formed JSON body, sent without the properties our bus writes and with a bad date.
  const body = { event_id: 'e-1', event_type: type, occurred_at: 'yesterday', source: 'elsewhere', version: '1.0', payload: {} }
  await publishRaw(t, topic, Buffer.from(JSON.stringify(body)))

  const { exitCode, stderr } = await runJavaConsumer(classPath, { serviceUrl: brokerConfig.serviceUrl, webUrl, topics: [topic], count: 1 })
  t.equal(exitCode, 1)
  t.match(stderr, /occurred_at yesterday is not an RFC 3339 date-time/)
  t.match(stderr, /property event_id is null but the envelope says e-1/)
  t.match(stderr, /property content_type is missing/)
})

interface OutboxRow {
  event_id: string
  event_type: string
  occurred_at: Date
  source: string
  correlation_id: string | null
  causation_id: string | null
  version: string
  partition_key: string | null
  headers: Record<string, string> | null
  payload: unknown
}

/**
 * The demo order service on a database and a namespace of its own, writing with `codec` and the
 * schema registry on: one order placed and cancelled, five events on order-events and
 * inventory-events once all are published. Returns the namespace and the events as the outbox holds them.
 */
async function demoTopics (t: Test, codec: 'json' | 'avro'): Promise<{ namespace: string, rows: OutboxRow[] }> {
  const database = await freshDatabase(t, 'postgres', { orderService: true })
  const namespace = await freshNamespace(t)
  const json = new JsonCodec()
  const bus = await startedBus(t, {
    ...testBrokerConfig(namespace),
    source: SERVICE_NAME,
    schemaRegistry: true,
    codec: codec === 'avro' ? new AvroCodec({ events: demoEvents }) : json,
    codecs: [json]
  })
  const app = await startOrderService(t, database.db, bus)
  const order = await placeOrder(app, [apple(2)], `java-${codec}`)
  t.equal(await waitForSettled(app, order, 30_000), 'confirmed')
  t.equal((await app.inject({ method: 'POST', url: `/orders/${order}/cancel` })).statusCode, 200)
  const published = async (): Promise<OutboxRow[]> => await rows(database.db)
  await waitFor(async () => (await published()).length === 5, 'the five events of the order to be published', 30_000)
  return { namespace, rows: await published() }
}

async function rows (db: OutboxDatabase): Promise<OutboxRow[]> {
  return await queryRows<OutboxRow>(db, sql`
    select event_id, event_type, occurred_at, source, correlation_id, causation_id, version, partition_key, headers, payload
    from ${outbox} where status = 'published' order by id`)
}

function readingOfRow (row: OutboxRow): JavaReading['envelope'] {
  return {
    event_id: row.event_id,
    event_type: row.event_type,
    occurred_at: new Date(row.occurred_at).toISOString(),
    source: row.source,
    correlation_id: row.correlation_id,
    causation_id: row.causation_id,
    version: row.version,
    partition_key: row.partition_key,
    headers: row.headers ?? {},
    payload: row.payload
  }
}

t.test('the Java consumer reads the demo\'s topics in JSON and in Avro, with the schemas of Pulsar\'s registry, and finds every envelope field', { skip }, async (t) => {
  const classPath = await buildJavaConsumer()
  const written = { json: await demoTopics(t, 'json'), avro: await demoTopics(t, 'avro') }
  const topics = Object.values(written).flatMap(({ namespace }) => ['order-events', 'inventory-events'].map((topic) => `persistent://${brokerConfig.tenant}/${namespace}/${topic}`))
  const { exitCode, readings, stderr } = await runJavaConsumer(classPath, { serviceUrl: brokerConfig.serviceUrl, webUrl, topics, count: 10 })
  t.equal(exitCode, 0, `the Java consumer found no broken rule${exitCode === 0 ? '' : `: ${stderr}`}`)
  for (const [codec, { namespace, rows }] of Object.entries(written)) {
    const read = readings.filter((reading) => reading.topic.includes(`/${namespace}/`))
    t.equal(read.length, 5, `${codec}: all five events read`)
    t.ok(read.every((reading) => reading.properties.content_type?.startsWith(codec === 'avro' ? 'application/avro; fingerprint=' : 'application/json')), `${codec}: written as ${codec}`)
    const byId = new Map(read.map((reading) => [reading.envelope?.event_id, reading.envelope]))
    t.same(rows.map((row) => byId.get(row.event_id)), rows.map(readingOfRow), `${codec}: every field of every event, as the outbox holds it`)
  }
})
