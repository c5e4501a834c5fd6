import { sql } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { createEnvelope, Inbox, MemoryBus, Outbox, outbox as outboxTable, type HandledEventIds, type TransactionRunner } from '../../support/library.js'
import { queryRows } from '../../../plugin/database/database.js'
import { DATABASE_KINDS, freshDatabase } from '../../support/databases.js'
import { AccountCredited, PingSent } from '../../support/events.js'
import { deferred, waitFor } from '../../support/wait.js'

for (const kind of DATABASE_KINDS) {
  t.test(`on ${kind}`, async (t) => {
    const database = await freshDatabase(t, kind)
    const db = database.db
    await db.execute(sql`create table balances (account text primary key, total int not null)`)

    async function setup (t: Test): Promise<{ bus: MemoryBus, inbox: Inbox, outbox: Outbox }> {
      for (const table of [sql`balances`, sql`inbox`, outboxTable]) await db.execute(sql`delete from ${table}`)
      const bus = new MemoryBus({ source: 'ledger', retryDelayMs: 5, maxRedeliveries: 3 })
      const outbox = new Outbox({ db, source: 'ledger', catalog: bus.catalog })
      const inbox = new Inbox({ transactions: outbox, bus, source: 'ledger' })
      t.teardown(() => bus.stop())
      return { bus, inbox, outbox }
    }
    const total = async (account: string): Promise<number | undefined> =>
      (await queryRows<{ total: number }>(db, sql`select total from balances where account = ${account}`))[0]?.total

    t.test('the same event delivered three times is applied once', async (t) => {
      const { bus, inbox } = await setup(t)
      let runs = 0
      await inbox.subscribe(AccountCredited, async (event, { tx }) => {
        runs++
        await tx.execute(sql`insert into balances values (${event.payload.account}, ${event.payload.amount})
          on conflict (account) do update set total = balances.total + excluded.total`)
      })
      await bus.start()
      const event = createEnvelope({ eventType: AccountCredited.type, payload: { account: 'a', seq: 0, amount: 7 }, source: 'ledger' })
      for (let i = 0; i < 3; i++) await bus.publish(event)
      await waitFor(async () => bus.backlog(AccountCredited.topic, 'ledger') === 0, 'all three deliveries to be settled')
      t.equal(await total('a'), 7, 'credited once')
      t.equal(runs, 1, 'the handler ran once; the duplicates were acknowledged')
    })

    t.test('stats count applied deliveries and the duplicates the inbox absorbed; a failed attempt counts as neither', async (t) => {
      const { bus, inbox } = await setup(t)
      await inbox.subscribe(AccountCredited, async (_event, { delivery }) => {
        if (delivery.redeliveryCount === 0) throw new Error('first try fails')
      })
      await bus.start()
      t.same(inbox.stats, { applied: 0, duplicates: 0 })
      const event = createEnvelope({ eventType: AccountCredited.type, payload: { account: 's', seq: 0, amount: 1 }, source: 'ledger' })
      for (let i = 0; i < 3; i++) await bus.publish(event)
      await waitFor(async () => bus.backlog(AccountCredited.topic, 'ledger') === 0, 'all deliveries to be settled')
      t.same(inbox.stats, { applied: 1, duplicates: 2 })
    })

    t.test('a handler that throws rolls back its changes and the inbox mark, so the retry applies it', async (t) => {
      const { bus, inbox } = await setup(t)
      let attempts = 0
      const done = deferred()
      await inbox.subscribe(AccountCredited, async (event, { tx, delivery }) => {
        attempts++
        await tx.execute(sql`insert into balances values (${event.payload.account}, ${event.payload.amount})`)
        if (delivery.redeliveryCount === 0) throw new Error('downstream timeout')
        done.resolve()
      })
      await bus.start()
      await bus.publish(createEnvelope({ eventType: AccountCredited.type, payload: { account: 'b', seq: 0, amount: 3 }, source: 'ledger' }))
      await done.promise
      await waitFor(async () => (await total('b')) === 3, 'the retry to commit')
      t.equal(attempts, 2)
      t.equal(await total('b'), 3, 'the failed attempt left nothing behind')
    })

    t.test('events a handler adds carry the handled event\'s correlation id and its id as causation', async (t) => {
      const { bus, inbox } = await setup(t)
      await inbox.subscribe(AccountCredited, async (event, { outbox }) => {
        outbox.add(PingSent.create({ n: event.payload.seq }))
      })
      await bus.start()
      const cause = createEnvelope({ eventType: AccountCredited.type, payload: { account: 'c', seq: 4, amount: 1 }, source: 'ledger', correlationId: 'req-42' })
      await bus.publish(cause)
      await waitFor(async () => (await queryRows(db, sql`select 1 from ${outboxTable}`)).length === 1, 'the follow-up event row')
      const [row] = await queryRows<Record<string, unknown>>(db, sql`select * from ${outboxTable}`)
      t.match(row, { event_type: 'test.PingSent', correlation_id: 'req-42', causation_id: cause.eventId })
    })

    t.test('two handlers of one event keep separate marks; a name used twice is refused', async (t) => {
      const { bus, inbox } = await setup(t)
      const seen: string[] = []
      await inbox.subscribe(AccountCredited, async () => { seen.push('audit') }, { consumer: 'audit' })
      await inbox.subscribe(AccountCredited, async () => { seen.push('mail') }, { consumer: 'mail' })
      await t.rejects(inbox.subscribe(AccountCredited, async () => {}, { consumer: 'mail' }), { code: 'OUTBOX_INVALID_OPTIONS', message: /"mail" is already subscribed/ })
      await bus.start()
      await bus.publish(createEnvelope({ eventType: AccountCredited.type, payload: { account: 'd', seq: 0, amount: 1 }, source: 'ledger' }))
      await waitFor(() => seen.length === 2, 'both handlers')
      t.same(seen.sort(), ['audit', 'mail'])
      const marks = await queryRows<{ consumer: string }>(db, sql`select consumer from inbox order by consumer`)
      t.same(marks.map((m) => m.consumer), ['audit', 'mail'])
    })

    t.test('the inbox needs only a transaction runner: each delivery and each purge is one of its transactions, a delivery with the handled event\'s ids', async (t) => {
      const { bus, outbox } = await setup(t)
      const transactions: Array<HandledEventIds | null> = []
      const runner: TransactionRunner = {
        transaction: async (work, ids) => {
          transactions.push(ids ?? null)
          return await outbox.transaction(work, ids)
        }
      }
      const inbox = new Inbox({ transactions: runner, bus, source: 'ledger' })
      let applied = 0
      await inbox.subscribe(AccountCredited, async () => { applied++ })
      await bus.start()
      const event = createEnvelope({ eventType: AccountCredited.type, payload: { account: 'r', seq: 0, amount: 1 }, source: 'ledger', correlationId: 'order-7' })
      await bus.publish(event)
      await waitFor(() => applied === 1, 'the delivery to be applied')
      t.equal(await inbox.purge(24 * 3600_000), 0, 'no mark is old enough')
      t.same(transactions, [{ correlationId: 'order-7', causationId: event.eventId }, null])
    })

    t.test('unsubscribe removes the handler; purge deletes old marks only', async (t) => {
      const { bus, inbox } = await setup(t)
      const seen: number[] = []
      const handler = async (event: { payload: { seq: number } }): Promise<void> => { seen.push(event.payload.seq) }
      await inbox.subscribe(AccountCredited, handler)
      await bus.start()
      await bus.publish(createEnvelope({ eventType: AccountCredited.type, payload: { account: 'e', seq: 1, amount: 1 }, source: 'ledger' }))
      await waitFor(() => seen.length === 1, 'the first event')
      await inbox.unsubscribe(AccountCredited, handler)
      await db.execute(sql`update inbox set processed_at = now() - interval '2 days'`)
      await db.execute(sql`insert into inbox (consumer, event_id, event_type) values ('other', 'fresh', 'x.Y')`)
      t.equal(await inbox.purge(24 * 3600_000), 1, 'the two-day-old mark went')
      t.same((await queryRows<{ event_id: string }>(db, sql`select event_id from inbox`)).map((r) => r.event_id), ['fresh'])
    })
  })
}
