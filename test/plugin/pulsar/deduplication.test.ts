import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { sql } from 'drizzle-orm'
import { EventCatalog, Outbox, OutboxProjector, outbox as outboxTable, pulsarAdmin, PulsarBus } from '../../support/library.js'
import { queryRows } from '../../../plugin/database/database.js'
import { brokerSkipReason, recordingLogger, uniqueName } from './broker.js'
import { freshDatabase, type TestDatabase } from '../../support/databases.js'
import { AccountCredited } from '../../support/events.js'
import { Mailbox } from '../../support/mailbox.js'
import { killGroup, startProcess } from '../../support/processes.js'
import { driverUnderTest } from '../../support/pulsar-driver.js'
import { freshNamespace, testBrokerConfig } from '../../support/pulsar-namespace.js'
import { deferred, waitFor } from '../../support/wait.js'

/**
 * Broker deduplication on (the namespace policy) with a stable producer name: no row may be
 * dropped as a "duplicate". Outbox row ids are not a send order: a transaction that took a lower
 * id can commit after a higher id was published, and a projector killed between publish and mark
 * sends its rows again. Neither loses a message; the second delivers duplicates, which consumers
 * absorb in their inbox.
 */

const skip = await brokerSkipReason()

interface Setup {
  database: TestDatabase
  outbox: Outbox
  namespace: string
  /** Event ids as the consumer received them, duplicates included. */
  received: Mailbox<string>
  projectorBus: (producerName: string) => Promise<PulsarBus>
}

async function setUp (t: Test): Promise<Setup> {
  const namespace = await freshNamespace(t)
  const config = testBrokerConfig(namespace)
  await pulsarAdmin(config, { timeoutMs: 10_000 }).request('POST', `/admin/v2/namespaces/${config.tenant}/${namespace}/deduplication`, true)
  const database = await freshDatabase(t, 'postgres')
  const catalog = new EventCatalog([AccountCredited])
  const outbox = new Outbox({ db: database.db, source: 'ledger', catalog })
  const consumer = new PulsarBus({ ...config, source: uniqueName('reader'), driver: driverUnderTest, logger: recordingLogger() })
  t.teardown(async () => await consumer.stop())
  const received = new Mailbox<string>()
  await consumer.subscribe(AccountCredited, (envelope) => received.put(envelope.eventId))
  await consumer.start()
  const projectorBus = async (producerName: string): Promise<PulsarBus> => {
    const bus = new PulsarBus({ ...config, source: 'projector', driver: driverUnderTest, producerName, logger: recordingLogger() })
    t.teardown(async () => await bus.stop())
    await bus.start()
    return bus
  }
  return { database, outbox, namespace, received, projectorBus }
}

function projectorOn (t: Test, setup: Setup, bus: PulsarBus): OutboxProjector {
  const projector = new OutboxProjector({ db: setup.database.db, bus, catalog: setup.outbox.catalog, leaseMs: 1000, pollIntervalMs: 50, retryBaseDelayMs: 0 })
  t.teardown(async () => await projector.stop())
  return projector
}

t.test('a lower row id committed after a higher one was published is delivered, not dropped', { skip }, async (t) => {
  const setup = await setUp(t)
  const projector = projectorOn(t, setup, await setup.projectorBus(uniqueName('projector')))
  await projector.start()

  const inserted = deferred()
  const commit = deferred()
  let early = ''
  const slow = setup.database.db.transaction(async (tx) => {
    early = (await setup.outbox.add(AccountCredited.create({ account: 'slow', seq: 0, amount: 1 }), { tx })).eventId
    inserted.resolve()
    await commit.promise
  })
  await inserted.promise
  const late = (await setup.outbox.add(AccountCredited.create({ account: 'fast', seq: 0, amount: 1 }), { standalone: true })).eventId
  t.same(await setup.received.take(1), [late], 'the higher id, committed first, is published first')
  commit.resolve()
  await slow
  t.same(await setup.received.take(2, 'the later commit'), [late, early], 'the lower id, committed later, is delivered too')

  const rows = await queryRows<{ id: number, event_id: string }>(setup.database.db, sql`select id, event_id from ${outboxTable} order by id`)
  t.same(rows.map((row) => row.event_id), [early, late], 'the premise held: the later commit has the lower row id')
})

t.test('a projector killed between publish and mark: nothing lost, the re-sent rows arrive as duplicates', { skip }, async (t) => {
  const setup = await setUp(t)
  const producerName = uniqueName('projector')
  const sent: string[] = []
  for (let seq = 0; seq < 5; seq++) {
    for (const account of ['a', 'b', 'c', 'd']) {
      sent.push((await setup.outbox.add(AccountCredited.create({ account, seq, amount: 1 }), { standalone: true })).eventId)
    }
  }
  const killAfter = 7
  const dying = startProcess(t, [process.execPath, '--import', 'tsx', fileURLToPath(new URL('../../support/projector-process.ts', import.meta.url))], {
    PROJECTOR_DATABASE_URL: setup.database.url!,
    PROJECTOR_NAMESPACE: setup.namespace,
    PROJECTOR_PRODUCER_NAME: producerName,
    PROJECTOR_HOLD_AFTER: String(killAfter),
    PROJECTOR_BATCH_SIZE: '50',
    PROJECTOR_LEASE_MS: '1000'
  })
  await waitFor(() => dying.output().includes(`held after ${killAfter} publishes`), 'the projector to hold its batch', 60_000, 50)
  killGroup(dying.child)
  t.equal(await dying.exited, 'SIGKILL', `the projector died by SIGKILL with ${killAfter} publishes confirmed and unmarked`)

  // A projector of the same stable name takes over once the dead projector's lease has run out.
  const projector = projectorOn(t, setup, await setup.projectorBus(producerName))
  await projector.start()
  await waitFor(async () => {
    const [row] = await queryRows<{ n: string | number }>(setup.database.db, sql`select count(*) as n from ${outboxTable} where status <> 'published'`)
    return Number(row!.n) === 0
  }, 'every row published', 60_000)
  await waitFor(() => new Set(setup.received.items).size === sent.length, 'every event received', 30_000)
  const received = setup.received.items
  t.same(new Set(received), new Set(sent), 'every event arrived')
  const duplicates = received.length - sent.length
  t.ok(duplicates >= killAfter, `${duplicates} duplicate deliveries: at least the ${killAfter} rows published before the kill and sent again`)
  t.comment(`deduplication on, projector killed after ${killAfter} confirmed publishes: ${sent.length} events, ${received.length} deliveries, ${duplicates} duplicates`)
})
