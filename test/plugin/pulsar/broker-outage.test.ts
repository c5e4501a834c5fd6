import { sql } from 'drizzle-orm'
import t from 'tap'
import {
  createEnvelope, EventCatalog, isTransportOutage, Outbox, OutboxProjector, outbox as outboxTable, PulsarBus,
  type MessageBus, type MessageEnvelope, type PublishOptions, type PulsarBusOptions
} from '../../support/library.js'
import { queryRows, type OutboxDatabase } from '../../../plugin/database/database.js'
import { freshDatabase } from '../../support/databases.js'
import { AccountCredited } from '../../support/events.js'
import { testPulsarInstance, type PulsarInstance } from '../../support/pulsar-instance.js'
import { driverUnderTest } from '../../support/pulsar-driver.js'
import { waitFor } from '../../support/wait.js'
import { recordingLogger } from './broker.js'

/**
 * A real broker outage: this file starts a broker of its own (never the shared one), relays an
 * outbox to it while events keep being added, stops the broker with its data kept, checks that
 * nothing is lost or spent meanwhile, starts it again on the same data and checks that every
 * event reaches the consumer. Two broker starts and a stop take most of its time (40–120 s).
 */

t.setTimeout(600_000)

const ACCOUNTS = ['a', 'b', 'c', 'd', 'e']
/** Pace of the writer: 20 events a second, enough rows to cover every phase, few enough to drain fast. */
const WRITE_EVERY_MS = 50

t.test('a broker outage loses nothing and spends no attempts: publishes fail as outages, rows wait, everything drains after the restart', async (t) => {
  const broker = await testPulsarInstance(t, { name: 'outage' })
  const database = await freshDatabase(t, 'postgres')
  const catalog = new EventCatalog([AccountCredited])
  const outbox = new Outbox({ db: database.db, source: 'outage-writer', catalog })

  const relay = new ObservedBus(pulsarBus(broker, { source: 'outage-relay' }))
  t.teardown(async () => await relay.stop())
  await relay.start()
  const projector = new OutboxProjector({ db: database.db, bus: relay, catalog, pollIntervalMs: 50, retryBaseDelayMs: 0 })
  t.teardown(async () => await projector.stop())

  const consumer = pulsarBus(broker, { source: 'outage-consumer' })
  t.teardown(async () => await consumer.stop())
  const received = new Map<string, number>()
  await consumer.subscribe(AccountCredited, (envelope) => { received.set(envelope.eventId, (received.get(envelope.eventId) ?? 0) + 1) })
  await consumer.start()
  await projector.start()

  const writer = new Writer(outbox)
  t.teardown(async () => await writer.stop())
  writer.start()

  // Healthy: events flow end to end.
  await waitFor(() => received.size >= 20, 'the first 20 events to reach the consumer', 30_000)

  // Outage: the broker stops, its data kept.
  const errorsBefore = projector.stats.errors
  const stopBegan = Date.now()
  const stopping = broker.stop({ keepData: true })
  stopping.catch(() => {})
  await waitFor(() => projector.stats.errors > errorsBefore, 'the projector\'s first failed round', 60_000)
  const firstErrorMs = Date.now() - stopBegan
  const stopSeconds = await stopping
  await waitFor(() => projector.stats.errors >= errorsBefore + 3, 'the projector to fail three rounds and back off', 30_000)
  // Each driver names the address it talks to: the binary port (native) or the web port (WebSocket).
  const address = driverUnderTest === 'native' ? `pulsar://127\\.0\\.0\\.1:${broker.ports.broker}` : `ws://127\\.0\\.0\\.1:${broker.ports.web}`
  t.match(projector.stats.lastError, new RegExp(`^Failed to connect to Pulsar at ${address}: `), 'the projector saw the outage error')

  const probe = createEnvelope({ eventType: AccountCredited.type, payload: { account: 'probe', seq: 0, amount: 0 }, source: 'outage-probe' })
  const publishError = await t.rejects(relay.publish(probe), {
    code: 'PULSAR_CONNECT_FAILED',
    message: new RegExp(`^Failed to connect to Pulsar at ${address}: connection refused .*Check that the broker is up`)
  }) as unknown as Error
  t.ok(isTransportOutage(publishError), 'a publish during the outage is an outage error')

  const late = pulsarBus(broker, { source: 'outage-late-starter', connectTimeoutMs: 5000 })
  const startBegan = Date.now()
  await t.rejects(late.start(), { code: 'PULSAR_CONNECT_FAILED', message: /^Failed to connect to Pulsar at .*connection refused/ }, 'start() while the broker is down')
  const startFailedMs = Date.now() - startBegan
  t.ok(startFailedMs < 2000, `start() failed quickly (${startFailedMs} ms, the connect timeout is 5000 ms)`)

  const writtenBeforeOutageEnd = writer.count
  await waitFor(async () => (await rowStates(database.db)).pending >= 40, 'rows to pile up while the broker is away', 30_000)
  const duringOutage = await rowStates(database.db)
  t.equal(duringOutage.failed, 0, 'no row failed during the outage')
  t.equal(duringOutage.spent, 0, 'no row spent an attempt during the outage')

  // Back: the broker starts again on the same data.
  const restartSeconds = await broker.start()
  const restartedAt = Date.now()
  // Rounds back off, doubling from 200 ms to 10 s: about 7 in the first 13 s, then one per 10 s.
  const failedRounds = projector.stats.errors - errorsBefore
  const outageSeconds = (restartedAt - stopBegan) / 1000
  t.ok(failedRounds <= 10 + outageSeconds / 5, `the projector backed off: ${failedRounds} failed rounds in ${outageSeconds.toFixed(0)} s`)
  const publishedAtRestart = projector.stats.published
  await waitFor(() => projector.stats.published > publishedAtRestart + 20, 'the projector to publish again after the restart', 60_000)
  const firstPublishAfterMs = Date.now() - restartedAt
  await writer.stop()
  await waitFor(async () => (await rowStates(database.db)).pending === 0, 'the outbox to drain', 60_000)
  const drainedAfterMs = Date.now() - restartedAt
  const ids = await allEventIds(database.db)
  await waitFor(() => ids.every((id) => received.has(id)), 'the consumer to have every event', 60_000)
  const deliveredAllAfterMs = Date.now() - restartedAt

  const final = await rowStates(database.db)
  const duplicates = [...received.values()].reduce((n, copies) => n + copies - 1, 0)
  t.equal(ids.length, writer.count, 'every committed event is in the outbox')
  t.ok(writer.count > writtenBeforeOutageEnd, 'events were added during the outage and after it')
  t.same(final, { pending: 0, failed: 0, spent: 0, published: writer.count }, 'all published, none with a spent attempt')
  t.equal(received.size, writer.count, `the consumer got every event id (${writer.count} rows, ${received.size} distinct, ${duplicates} duplicate deliveries)`)
  t.same(relay.errorCodes.filter((code) => !isTransportOutage({ code })), [], `every publish error was an outage error (seen: ${[...new Set(relay.errorCodes)].join(', ')})`)

  t.comment(`broker stop ${stopSeconds.toFixed(1)} s; the projector's first failed round ${firstErrorMs} ms after the stop began; ` +
    `start() while down failed in ${startFailedMs} ms; ` +
    `restart ${restartSeconds.toFixed(1)} s; first publishes ${firstPublishAfterMs} ms after it, outbox drained after ${drainedAfterMs} ms, ` +
    `consumer complete after ${deliveredAllAfterMs} ms; ${writer.count} events, ${duplicates} duplicate deliveries; ` +
    `projector: ${JSON.stringify(projector.stats)}; publish errors by code: ${JSON.stringify(countBy(relay.errorCodes))}`)
})

/** The test's buses: the websocket driver, short timeouts, and reconnects capped at 2 s instead of 30 s so the drain is quick. */
function pulsarBus (broker: PulsarInstance, options: Partial<PulsarBusOptions> & { source: string }): PulsarBus {
  return new PulsarBus({
    serviceUrl: broker.serviceUrl,
    webServiceUrl: broker.webUrl,
    driver: driverUnderTest,
    connectTimeoutMs: 3000,
    sendTimeoutMs: 5000,
    reconnectBackoff: { initialMs: 100, maxMs: 2000 },
    retryDelayMs: 50,
    logger: recordingLogger(),
    ...options
  })
}

/** The projector's bus as the projector sees it, with the code of every publish error kept. */
class ObservedBus implements MessageBus {
  readonly kind: string
  readonly errorCodes: string[] = []
  readonly #bus: MessageBus

  constructor (bus: MessageBus) {
    this.#bus = bus
    this.kind = bus.kind
  }

  get started (): boolean { return this.#bus.started }
  async start (): Promise<void> { await this.#bus.start() }
  async stop (): Promise<void> { await this.#bus.stop() }
  async subscribe (): Promise<void> { throw new Error('the projector does not subscribe') }
  async unsubscribe (): Promise<void> {}

  async publish (envelope: MessageEnvelope, options?: PublishOptions): Promise<void> {
    try {
      await this.#bus.publish(envelope, options)
    } catch (err) {
      this.errorCodes.push((err as { code?: string }).code ?? `no code: ${(err as Error).message}`)
      throw err
    }
  }
}

/** Adds one event per transaction every WRITE_EVERY_MS until stopped; counts the commits. */
class Writer {
  count = 0
  readonly #outbox: Outbox
  #running: Promise<void> | null = null
  #stopped = false

  constructor (outbox: Outbox) {
    this.#outbox = outbox
  }

  start (): void {
    this.#running = this.#loop()
  }

  async stop (): Promise<void> {
    this.#stopped = true
    await this.#running
  }

  async #loop (): Promise<void> {
    for (let n = 0; !this.#stopped; n++) {
      const account = ACCOUNTS[n % ACCOUNTS.length]!
      await this.#outbox.transaction(async (_tx, events) => {
        events.add(AccountCredited.create({ account, seq: Math.floor(n / ACCOUNTS.length), amount: 1 }))
      })
      this.count++
      await new Promise((resolve) => setTimeout(resolve, WRITE_EVERY_MS))
    }
  }
}

interface RowStates { pending: number, failed: number, published: number, spent: number }

async function rowStates (db: OutboxDatabase): Promise<RowStates> {
  const [row] = await queryRows<RowStates>(db, sql`
    select count(*) filter (where status = 'pending')::int as pending,
           count(*) filter (where status = 'failed')::int as failed,
           count(*) filter (where status = 'published')::int as published,
           count(*) filter (where attempts > 0)::int as spent
    from ${outboxTable}`)
  return row!
}

async function allEventIds (db: OutboxDatabase): Promise<string[]> {
  return (await queryRows<{ event_id: string }>(db, sql`select event_id from ${outboxTable}`)).map((row) => row.event_id)
}

function countBy (values: string[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1
  return counts
}
