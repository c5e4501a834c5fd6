import { sql } from 'drizzle-orm'
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { defineEvent, EventCatalog, Outbox, outbox as outboxTable } from '../../support/library.js'
import { queryRows } from '../../../plugin/database/database.js'
import { DATABASE_KINDS, freshDatabase } from '../../support/databases.js'
import { AccountCredited, PingSent } from '../../support/events.js'

for (const kind of DATABASE_KINDS) {
  t.test(`on ${kind}`, async (t) => {
    const database = await freshDatabase(t, kind)
    const db = database.db
    const outbox = new Outbox({ db, source: 'ledger', catalog: new EventCatalog([AccountCredited, PingSent]) })
    const rows = async (): Promise<Array<Record<string, unknown>>> => await queryRows(db, sql`select * from ${outboxTable} order by id`)
    await db.execute(sql`create table accounts (id text primary key, balance int not null)`)

    t.beforeEach(async () => {
      await db.execute(sql`delete from accounts`)
      await db.execute(sql`delete from ${outboxTable}`)
    })

    t.test('a transaction that commits leaves the business row and its events, in one go', async (t) => {
      let committed = 0
      outbox.signal.onCommit(() => { committed++ })
      const envelopes = await outbox.transaction(async (tx, events) => {
        await tx.execute(sql`insert into accounts values ('acc-1', 10)`)
        const a = events.add(AccountCredited.create({ account: 'acc-1', seq: 0, amount: 10 }))
        const b = events.add(PingSent.create({ n: 1 }))
        return [a, b]
      }, { correlationId: 'req-1' })
      const stored = await rows()
      t.equal(stored.length, 2)
      t.match(stored[0], { event_id: envelopes[0]!.eventId, event_type: 'ledger.AccountCredited', topic: 'ledger.AccountCredited', status: 'pending', attempts: 0, source: 'ledger', correlation_id: 'req-1', partition_key: 'acc-1', version: '1.0', headers: null })
      t.same(stored[0]!.payload, { account: 'acc-1', seq: 0, amount: 10 })
      t.equal(stored[1]!.partition_key, null)
      t.equal((await queryRows(db, sql`select * from accounts`)).length, 1)
      t.equal(committed, 1, 'relays were signalled once, after commit')
    })

    t.test('a transaction that throws after adding events leaves neither the row nor the events', async (t) => {
      await t.rejects(outbox.transaction(async (tx, events) => {
        await tx.execute(sql`insert into accounts values ('acc-2', 5)`)
        events.add(AccountCredited.create({ account: 'acc-2', seq: 0, amount: 5 }))
        throw new Error('payment declined')
      }), { message: 'payment declined' })
      t.equal((await rows()).length, 0)
      t.equal((await queryRows(db, sql`select * from accounts`)).length, 0)
    })

    t.test('an invalid payload is refused at add and rolls the transaction back', async (t) => {
      await t.rejects(outbox.transaction(async (tx, events) => {
        await tx.execute(sql`insert into accounts values ('acc-3', 5)`)
        events.add(AccountCredited.create({ account: '', seq: -1, amount: 5 }))
      }), { code: 'OUTBOX_INVALID_PAYLOAD', message: /ledger\.AccountCredited.*\/account/ })
      t.equal((await rows()).length, 0)
      t.equal((await queryRows(db, sql`select * from accounts`)).length, 0)
    })

    t.test('an event INSERT the database refuses at commit rolls everything back and is reported', async (t) => {
      // The INSERT travels with COMMIT on postgres-js: its failure must still surface, and the
      // COMMIT behind it must have rolled back, not half-committed the business row.
      await db.execute(sql`alter table ${outboxTable} add constraint refuse_negative_ping check (event_type <> 'test.PingSent' or (payload->>'n')::int >= 0)`)
      t.teardown(async () => { await db.execute(sql`alter table ${outboxTable} drop constraint refuse_negative_ping`) })
      let committed = 0
      outbox.signal.onCommit(() => { committed++ })
      const failing = outbox.transaction(async (tx, events) => {
        await tx.execute(sql`insert into accounts values ('acc-9', 1)`)
        events.add(PingSent.create({ n: -1 }))
      })
      const err = await failing.then(() => null, (e: unknown) => e as Error & { cause?: Error })
      t.ok(err !== null, 'the transaction rejected')
      t.match(`${err?.message ?? ''} ${err?.cause?.message ?? ''}`, /refuse_negative_ping/, 'with the database\'s reason')
      t.equal((await rows()).length, 0, 'no event')
      t.equal((await queryRows(db, sql`select * from accounts`)).length, 0, 'no business row')
      t.equal(committed, 0, 'relays were not told of a commit that did not happen')
    })

    t.test('an event that cannot even be encoded for the INSERT rolls everything back and is reported', async (t) => {
      // The schema lets a BigInt through; JSON cannot carry it. The INSERT fails before it is
      // sent: the COMMIT behind it must not go out on its own.
      const Anything = defineEvent('test.AnythingHappened', Type.Object({ value: Type.Unknown() }))
      await t.rejects(outbox.transaction(async (tx, events) => {
        await tx.execute(sql`insert into accounts values ('acc-10', 1)`)
        events.add(Anything.create({ value: 10n }))
      }), { message: /BigInt/ })
      t.equal((await rows()).length, 0, 'no event')
      t.equal((await queryRows(db, sql`select * from accounts`)).length, 0, 'no business row')
    })

    t.test('many transactions at once: each commits its own rows and events, or neither', async (t) => {
      // Twice the pool: connections are reused while INSERTs travel with COMMITs.
      const outcomes = await Promise.allSettled(Array.from({ length: 40 }, async (_, i) => await outbox.transaction(async (tx, events) => {
        await tx.execute(sql`insert into accounts values (${`acc-${i}`}, ${i})`)
        events.add(AccountCredited.create({ account: `acc-${i}`, seq: 0, amount: i }))
        if (i % 2 === 1) throw new Error(`declined ${i}`)
      })))
      t.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 20)
      const accounts = (await queryRows<{ id: string }>(db, sql`select id from accounts`)).map((r) => r.id).sort()
      const keys = (await rows()).map((r) => r.partition_key as string).sort()
      t.same(keys, accounts, 'an event for exactly each committed row')
      t.same(accounts, Array.from({ length: 20 }, (_, i) => `acc-${i * 2}`).sort())
    })

    t.test('rows are the same whether the INSERT is prepared (up to 32 events) or not (more)', async (t) => {
      for (const count of [1, 2, 40]) {
        await outbox.transaction(async (_tx, events) => {
          for (let n = 0; n < count; n++) events.add(PingSent.create({ n }, n === 1 ? { headers: { traceparent: '00-t-s-01' } } : {}))
        }, { correlationId: `batch-${count}` })
      }
      const stored = await queryRows<{ correlation_id: string, n: number, headers_is_sql_null: boolean, headers: unknown }>(db, sql`
        select correlation_id, (payload->>'n')::int as n, headers is null as headers_is_sql_null, headers from ${outboxTable} order by id`)
      t.equal(stored.length, 43)
      t.same(stored.filter((r) => r.correlation_id === 'batch-40').map((r) => r.n), Array.from({ length: 40 }, (_, n) => n), 'all 40, in order')
      t.ok(stored.every((r) => r.n === 1 ? !r.headers_is_sql_null : r.headers_is_sql_null), 'no headers is SQL NULL, not JSON null')
      t.same(stored.filter((r) => r.n === 1).map((r) => r.headers), [{ traceparent: '00-t-s-01' }, { traceparent: '00-t-s-01' }])
    })

    t.test('adding after the transaction ended is an error, not a lost event', async (t) => {
      let leaked: { add: (e: ReturnType<typeof PingSent.create>) => unknown } | null = null
      await outbox.transaction(async (_tx, events) => { leaked = events })
      t.throws(() => leaked!.add(PingSent.create({ n: 1 })), { code: 'OUTBOX_TRANSACTION_CLOSED' })
    })

    t.test('add() with no transaction is refused; { tx } joins the caller\'s; { standalone } writes alone', async (t) => {
      await t.rejects(outbox.add(PingSent.create({ n: 1 }), {} as never), { code: 'OUTBOX_NO_TRANSACTION', message: /outbox\.add\(test\.PingSent\).*standalone: true/ })
      await t.rejects(db.transaction(async (tx) => {
        await outbox.add(PingSent.create({ n: 2 }), { tx, correlationId: 'c-2' })
        t.equal((await queryRows(tx, sql`select * from ${outboxTable}`)).length, 1, 'visible inside the transaction')
        throw new Error('roll back')
      }), { message: 'roll back' })
      t.equal((await rows()).length, 0, 'rolled back with the caller\'s transaction')
      const envelope = await outbox.add(PingSent.create({ n: 3 }), { standalone: true, causationId: 'cause-3' })
      t.match(await rows(), [{ event_id: envelope.eventId, causation_id: 'cause-3' }])
    })

    t.test('event ids given by the caller must be UUIDs', async (t) => {
      await t.rejects(outbox.transaction(async (_tx, events) => {
        events.add(PingSent.create({ n: 1 }, { eventId: 'not-a-uuid' }))
      }), { code: 'OUTBOX_INVALID_ENVELOPE', message: /must be a UUID/ })
    })

    t.test('backlog counts pending and failed rows and the oldest pending age', async (t) => {
      t.same(await outbox.backlog(), { pending: 0, failed: 0, oldestPendingMs: null })
      await outbox.transaction(async (_tx, events) => {
        for (let n = 0; n < 3; n++) events.add(PingSent.create({ n }))
      })
      await db.execute(sql`update ${outboxTable} set status = 'failed', attempts = 10 where id = (select min(id) from ${outboxTable})`)
      const backlog = await outbox.backlog()
      t.match(backlog, { pending: 2, failed: 1 })
      t.ok(backlog.oldestPendingMs !== null && backlog.oldestPendingMs >= 0)
    })

    t.test('options are checked', async (t) => {
      t.throws(() => new Outbox({ db: {} as never, source: 's' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /Drizzle/ })
      t.throws(() => new Outbox({ db, source: '' }), { message: /source/ })
    })
  })
}
