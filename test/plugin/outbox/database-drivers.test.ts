import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { EventCatalog, MemoryBus, Outbox, OutboxProjector, outbox as outboxTable } from '../../support/library.js'
import { queryRows } from '../../../plugin/database/database.js'
import { driverCapabilities, type DatabaseDriver } from '../../../plugin/database/driver-capabilities.js'
import { freshDatabase, freshNodePostgresDatabase, type TestDatabase } from '../../support/databases.js'
import { AccountCredited, PingSent } from '../../support/events.js'
import { RecordingBus } from '../../support/recording-bus.js'
import { recordingLogger } from '../../support/recording-logger.js'
import { waitFor } from '../../support/wait.js'

/**
 * The outbox's contract on each supported driver, with the driver's fast paths (prepared INSERT,
 * COMMIT pipelining, LISTEN) on and off: the same rows, the same commit and rollback, the same
 * relay, and a projector woken by LISTEN where the driver has it, by polling where not.
 */
interface DriverUnderTest {
  open (t: Test): Promise<TestDatabase>
  /** A server: a LISTEN shows in pg_stat_activity, and its connection can be killed. */
  server: boolean
  /** What the driver can do, with the fast paths on. */
  capabilities: { driver: DatabaseDriver, commitPipeline: boolean, preparedInsert: boolean, listen: boolean }
}

const DRIVERS: Record<string, DriverUnderTest> = {
  'postgres-js': {
    open: async (t) => await freshDatabase(t, 'postgres'),
    server: true,
    capabilities: { driver: 'postgres-js', commitPipeline: true, preparedInsert: true, listen: true }
  },
  PGlite: {
    open: async (t) => await freshDatabase(t, 'pglite'),
    server: false,
    capabilities: { driver: 'pglite', commitPipeline: false, preparedInsert: true, listen: true }
  },
  'node-postgres (pg.Pool)': {
    open: async (t) => await freshNodePostgresDatabase(t),
    server: true,
    capabilities: { driver: 'node-postgres-pool', commitPipeline: false, preparedInsert: true, listen: true }
  }
}

/** More events than one prepared INSERT takes (MAX_PREPARED_ROWS, 32): these go through Drizzle's own. */
const PAST_PREPARED_LIMIT = 40

for (const [name, driver] of Object.entries(DRIVERS)) {
  for (const fastPaths of [true, false]) {
    t.test(`on ${name}, fast paths ${fastPaths ? 'on' : 'off'}`, async (t) => {
      const database = await driver.open(t)
      const db = database.db
      const catalog = new EventCatalog([AccountCredited, PingSent])
      const outbox = new Outbox({ db, source: 'ledger', catalog, driverFastPaths: fastPaths })
      const rows = async (): Promise<Array<Record<string, unknown>>> => await queryRows(db, sql`select * from ${outboxTable} order by id`)
      const accounts = async (): Promise<string[]> => (await queryRows<{ id: string }>(db, sql`select id from accounts order by id`)).map((r) => r.id)
      /** Connections of this database that last ran a LISTEN (server drivers only). */
      const listeners = async (): Promise<number[]> => (await queryRows<{ pid: number }>(db, sql`
        select pid from pg_stat_activity where datname = current_database() and query ilike 'listen%' and pid <> pg_backend_pid()`)).map((r) => r.pid)
      await db.execute(sql`create table accounts (id text primary key, balance int not null)`)
      t.beforeEach(async () => {
        await db.execute(sql`delete from accounts`)
        await db.execute(sql`delete from ${outboxTable}`)
      })

      t.test('the capability record says what the driver can do, found once per database', async (t) => {
        const capabilities = driverCapabilities(db, { fastPaths })
        t.equal(capabilities.driver, driver.capabilities.driver, 'the driver is recognised')
        const expected = fastPaths ? driver.capabilities : { ...driver.capabilities, commitPipeline: false, preparedInsert: false, listen: false }
        t.same({
          driver: capabilities.driver,
          commitPipeline: capabilities.commitPipeline !== null,
          preparedInsert: capabilities.preparedInsert !== null,
          listen: capabilities.listen !== null
        }, expected)
        t.equal(driverCapabilities(db), driverCapabilities(db), 'the same record each time')
      })

      t.test('a transaction commits its business row and its events, few (prepared) or many (not)', async (t) => {
        for (const count of [3, PAST_PREPARED_LIMIT]) {
          const account = `acc-${count}`
          const added = await outbox.transaction(async (tx, events) => {
            await tx.execute(sql`insert into accounts values (${account}, ${count})`)
            return Array.from({ length: count }, (_, seq) =>
              events.add(AccountCredited.create({ account, seq, amount: seq }, seq === 1 ? { headers: { traceparent: '00-t-s-01' } } : {})))
          }, { correlationId: `batch-${count}` })
          const stored = (await rows()).filter((row) => row.correlation_id === `batch-${count}`)
          t.same(stored.map((row) => row.event_id), added.map((envelope) => envelope.eventId), `${count} events, in the order added`)
          t.same(stored.map((row) => row.payload), added.map((envelope) => envelope.payload), 'payloads as added')
          t.same(stored.map((row) => row.headers), added.map((_, seq) => seq === 1 ? { traceparent: '00-t-s-01' } : null), 'no headers is SQL NULL')
          t.ok(stored.every((row) => row.partition_key === account && row.status === 'pending'), 'keyed and pending')
        }
        t.same(await accounts(), ['acc-3', `acc-${PAST_PREPARED_LIMIT}`], 'each business row committed with its events')
      })

      t.test('a transaction that throws leaves neither its business row nor its events', async (t) => {
        for (const count of [2, PAST_PREPARED_LIMIT]) {
          await t.rejects(outbox.transaction(async (tx, events) => {
            await tx.execute(sql`insert into accounts values ('declined', 1)`)
            for (let n = 0; n < count; n++) events.add(PingSent.create({ n }))
            throw new Error('payment declined')
          }), { message: 'payment declined' })
        }
        t.same(await rows(), [], 'no event')
        t.same(await accounts(), [], 'no business row')
      })

      t.test('an event INSERT the database refuses rolls everything back and is reported', async (t) => {
        await db.execute(sql`alter table ${outboxTable} add constraint refuse_negative_ping check (event_type <> 'test.PingSent' or (payload->>'n')::int >= 0)`)
        t.teardown(async () => { await db.execute(sql`alter table ${outboxTable} drop constraint refuse_negative_ping`) })
        let committed = 0
        outbox.signal.onCommit(() => { committed++ })
        for (const count of [1, PAST_PREPARED_LIMIT]) {
          const err = await outbox.transaction(async (tx, events) => {
            await tx.execute(sql`insert into accounts values ('refused', 1)`)
            for (let n = 0; n < count; n++) events.add(PingSent.create({ n: -1 - n }))
          }).then(() => null, (e: unknown) => e as Error & { cause?: Error })
          t.match(`${err?.message ?? ''} ${err?.cause?.message ?? ''}`, /refuse_negative_ping/, `${count} refused: the database's reason`)
        }
        t.same(await rows(), [], 'no event')
        t.same(await accounts(), [], 'no business row')
        t.equal(committed, 0, 'relays were not told of commits that did not happen')
      })

      t.test('the projector relays every row to the bus, each key in commit order', async (t) => {
        const bus = new MemoryBus({ source: 'ledger', events: [AccountCredited, PingSent] })
        const received = new Map<string, number[]>()
        await bus.subscribe(AccountCredited, (event) => {
          received.set(event.payload.account, [...received.get(event.payload.account) ?? [], event.payload.seq])
        })
        await bus.start()
        t.teardown(() => bus.stop())
        const keys = ['a', 'b', 'c']
        for (let seq = 0; seq < 6; seq++) {
          await outbox.transaction(async (_tx, events) => {
            for (const account of keys) events.add(AccountCredited.create({ account, seq, amount: 1 }))
          })
        }
        // Small batches of several keys at once: rows of one key span batches and publish side by side with others.
        const projector = new OutboxProjector({ db, bus, catalog, channel: null, batchSize: 4, publishConcurrency: 4, driverFastPaths: fastPaths })
        t.equal(await projector.publishAll(), 18)
        await waitFor(() => [...received.values()].flat().length === 18, 'every event to reach its handler')
        t.same(Object.fromEntries(received), { a: [0, 1, 2, 3, 4, 5], b: [0, 1, 2, 3, 4, 5], c: [0, 1, 2, 3, 4, 5] })
        t.same(await queryRows(db, sql`select status, count(*)::int as n from ${outboxTable} group by status`), [{ status: 'published', n: 18 }])
      })

      /**
       * A projector that has relayed what was there and sleeps for its poll interval; then a
       * commit made by another writer, which does not nudge it in process but sends NOTIFY.
       */
      async function commitWhileProjectorSleeps (t: Test, pollIntervalMs: number): Promise<{ projector: OutboxProjector, logger: ReturnType<typeof recordingLogger>, writeElsewhere: () => Promise<void> }> {
        const logger = recordingLogger()
        const bus = new RecordingBus()
        await bus.start()
        const projector = new OutboxProjector({ db, bus, catalog, logger, pollIntervalMs, driverFastPaths: fastPaths })
        t.teardown(async () => {
          await projector.stop()
          await bus.stop()
        })
        await outbox.transaction(async (_tx, events) => { events.add(PingSent.create({ n: 1 })) })
        await projector.start()
        await waitFor(() => projector.stats.published === 1, 'the first round to relay the row written before the start')
        const writer = new Outbox({ db, source: 'elsewhere', catalog, notifyChannel: 'outbox', driverFastPaths: fastPaths })
        let n = 1
        return { projector, logger, writeElsewhere: async () => { await writer.transaction(async (_tx, events) => { events.add(PingSent.create({ n: ++n })) }) } }
      }

      if (fastPaths && driver.capabilities.listen) {
        t.test('LISTEN wakes a sleeping projector for a commit made elsewhere', async (t) => {
          const { projector, logger, writeElsewhere } = await commitWhileProjectorSleeps(t, 60_000)
          if (driver.server) t.equal((await listeners()).length, 1, 'one connection listens')
          await writeElsewhere()
          // Its poll is 60 s: only the NOTIFY can relay the row within the wait.
          await waitFor(() => projector.stats.published === 2, 'the NOTIFY to wake the projector', 5_000)
          t.same(logger.lines.filter((line) => /LISTEN/.test(line.msg)), [], 'no word of falling back to polling')
        })
      } else {
        t.test('without LISTEN the projector says so once and finds commits made elsewhere by polling', async (t) => {
          const { projector, logger, writeElsewhere } = await commitWhileProjectorSleeps(t, 200)
          if (driver.server) t.same(await listeners(), [], 'no connection listens')
          await writeElsewhere()
          await waitFor(() => projector.stats.published === 2, 'the poll to find the row', 5_000)
          const said = logger.lines.filter((line) => /LISTEN/.test(line.msg))
          t.equal(said.length, 1, 'one log line')
          t.match(said[0]?.msg, fastPaths ? /cannot LISTEN on this database driver/ : /driverFastPaths is false/)
        })
      }

      if (fastPaths && driver.capabilities.listen && driver.server) {
        t.test('a LISTEN connection the server kills is replaced, and wakes the projector again', async (t) => {
          const { projector, writeElsewhere } = await commitWhileProjectorSleeps(t, 60_000)
          const [killed] = await listeners()
          t.ok(killed !== undefined, 'a connection listens')
          await db.execute(sql`select pg_terminate_backend(${killed}::int)`)
          await waitFor(async () => {
            const now = await listeners()
            return now.length === 1 && now[0] !== killed
          }, 'a new connection to LISTEN', 10_000)
          await writeElsewhere()
          await waitFor(() => projector.stats.published === 2, 'the NOTIFY to wake the projector through the new connection', 5_000)
        })
      }
    })
  }
}
