import { sql } from 'drizzle-orm'
import t from 'tap'
import { outbox as outboxTable } from '../../support/library.js'
import { queryRows } from '../../../plugin/database/database.js'
import { DATABASE_KINDS } from '../../support/databases.js'
import { PingSent } from '../../support/events.js'
import { outboxFixture, publishedSeqByAccount } from '../../support/outbox-fixture.js'
import { waitFor } from '../../support/wait.js'

for (const kind of DATABASE_KINDS) {
  t.test(`on ${kind}`, async (t) => {
    t.test('a bus that fails N times: rows are retried with their error recorded, then all published', async (t) => {
      const f = await outboxFixture(t, kind)
      await f.credit(['a', 'b'], 5)
      f.bus.failNext = 4
      const projector = f.projector({ maxAttempts: 10 })
      const published = await projector.publishAll()
      t.equal(published, 10)
      t.equal(new Set(f.bus.eventIds()).size, 10, 'each once')
      t.equal(projector.stats.failedAttempts, 4)
      for (const [key, seqs] of publishedSeqByAccount(f.bus)) t.same(seqs, [0, 1, 2, 3, 4], `${key} still in order`)
      const [retried] = await queryRows<{ n: number }>(f.database.db, sql`select count(*)::int as n from ${outboxTable} where attempts > 0 and last_error = 'broker said no'`)
      t.ok(retried!.n >= 1 && retried!.n <= 4, `the retried rows kept their attempts and last error (${retried!.n})`)
    })

    t.test('a poison row fails after maxAttempts, blocks only its own key, and replays in order', async (t) => {
      const f = await outboxFixture(t, kind)
      await f.credit(['good', 'bad'], 3)
      let poisoned = true
      f.bus.beforePublish = async (envelope) => {
        const { account, seq } = envelope.payload as { account: string, seq: number }
        if (poisoned && account === 'bad' && seq === 1) throw new Error('rejected by broker: schema mismatch')
      }
      const projector = f.projector({ maxAttempts: 3 })
      for (let round = 0; round < 5; round++) await projector.publishAll()
      t.same(publishedSeqByAccount(f.bus).get('good'), [0, 1, 2], 'the healthy key drained')
      t.same(publishedSeqByAccount(f.bus).get('bad'), [0], 'the poisoned key stopped at its failing event')
      t.match(await f.statuses(), { published: 4, failed: 1, pending: 1 })
      const blocked = await f.outbox.blockedKeys()
      t.match(blocked, [{ partitionKey: 'bad', status: 'failed', attempts: 3, lastError: 'rejected by broker: schema mismatch', eventType: 'ledger.AccountCredited' }])
      t.match(await f.outbox.backlog(), { pending: 1, failed: 1 })

      poisoned = false
      t.equal(await f.outbox.replayFailed(), 1)
      await projector.publishAll()
      t.same(publishedSeqByAccount(f.bus).get('bad'), [0, 1, 2], 'after replay the key resumes in order')
      t.same(await f.outbox.blockedKeys(), [])
    })

    t.test('a row damaged in the database fails once with the reason and is not retried', async (t) => {
      const f = await outboxFixture(t, kind)
      const [damaged, healthy] = await f.outbox.transaction(async (_tx, events) => [
        events.add(PingSent.create({ n: 1 })),
        events.add(PingSent.create({ n: 2 }))
      ])
      await f.database.db.execute(sql`update ${outboxTable} set payload = '{"n":"one"}'::jsonb where event_id = ${damaged!.eventId}`)
      const projector = f.projector()
      t.equal(await projector.publishAll(), 1)
      t.same(f.bus.eventIds(), [healthy!.eventId])
      t.match(await f.row(damaged!.eventId), { status: 'failed', attempts: 1, last_error: /unpublishable row: payload of test\.PingSent no longer matches its schema: \/n/ })
      t.equal(await projector.publishAll(), 0, 'not picked up again')
    })

    t.test('a broker outage leaves rows pending without spending attempts; they drain after it', async (t) => {
      const f = await outboxFixture(t, kind)
      await f.credit(['a'], 3)
      f.bus.unreachable = true
      const projector = f.projector()
      await t.rejects(projector.publishAll(), { code: 'PULSAR_CONNECT_FAILED', message: /Failed to connect to Pulsar/ })
      t.same(await f.statuses(), { pending: 3 })
      t.equal((await f.outbox.backlog()).failed, 0)
      const [attempts] = await queryRows<{ a: number }>(f.database.db, sql`select max(attempts)::int as a from ${outboxTable}`)
      t.equal(attempts!.a, 0, 'no attempt counted')

      await projector.start()
      await waitFor(() => projector.stats.errors >= 2, 'the running projector to hit the outage and back off')
      f.bus.unreachable = false
      await waitFor(() => f.bus.published.length === 3, 'the drain after recovery', 15_000)
      t.same(publishedSeqByAccount(f.bus).get('a'), [0, 1, 2])
    })

    t.test('a bus of any transport says "outage" with transportOutage: true, and rows stay pending without attempts', async (t) => {
      const f = await outboxFixture(t, kind)
      await f.credit(['a'], 2)
      f.bus.beforePublish = async () => { throw Object.assign(new Error('link down'), { code: 'MY_BUS_DOWN', transportOutage: true }) }
      const projector = f.projector()
      await t.rejects(projector.publishAll(), { code: 'MY_BUS_DOWN' })
      t.same(await f.statuses(), { pending: 2 })
      const [attempts] = await queryRows<{ a: number }>(f.database.db, sql`select max(attempts)::int as a from ${outboxTable}`)
      t.equal(attempts!.a, 0, 'no attempt counted')
    })
  })
}
