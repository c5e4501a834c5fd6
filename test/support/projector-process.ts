/**
 * A process for the test of a projector killed mid-batch: a projector on the test database
 * relaying to the test broker. Once `PROJECTOR_HOLD_AFTER` publishes have been confirmed by the
 * broker, every later publish hangs, so the batch in flight stays half published and unmarked
 * until the test kills the process (SIGKILL).
 *
 * Environment: PROJECTOR_DATABASE_URL, PROJECTOR_NAMESPACE, PROJECTOR_HOLD_AFTER, PROJECTOR_LEASE_MS,
 * PROJECTOR_BATCH_SIZE, and PROJECTOR_PRODUCER_NAME for a stable producer name. The Pulsar driver is the one under test.
 */
import { writeSync } from 'node:fs'
import { EventCatalog, OutboxProjector, PulsarBus, type MessageEnvelope, type PublishOptions } from './library.js'
import { openPostgres } from '../../plugin/database/postgres-js.js'
import { AccountCredited } from './events.js'
import { driverUnderTest } from './pulsar-driver.js'
import { testBrokerConfig } from './pulsar-namespace.js'

const holdAfter = Number(process.env.PROJECTOR_HOLD_AFTER)
const catalog = new EventCatalog([AccountCredited])
const database = openPostgres({ url: process.env.PROJECTOR_DATABASE_URL!, max: 4, applicationName: 'projector-killed-mid-batch' })
const producerName = process.env.PROJECTOR_PRODUCER_NAME
const bus = new PulsarBus({ ...testBrokerConfig(process.env.PROJECTOR_NAMESPACE), source: 'projector-child', driver: driverUnderTest, catalog, ...(producerName === undefined ? {} : { producerName }) })
await bus.start()

let confirmed = 0
const publish = bus.publish.bind(bus)
bus.publish = async (envelope: MessageEnvelope, options?: PublishOptions): Promise<void> => {
  if (confirmed >= holdAfter) return await new Promise<never>(() => {})
  await publish(envelope, options)
  if (++confirmed === holdAfter) writeSync(1, `held after ${confirmed} publishes\n`)
}

const projector = new OutboxProjector({
  db: database.db,
  bus,
  catalog,
  batchSize: Number(process.env.PROJECTOR_BATCH_SIZE),
  leaseMs: Number(process.env.PROJECTOR_LEASE_MS),
  pollIntervalMs: 50,
  channel: null
})
await projector.start()
writeSync(1, 'relaying\n')
