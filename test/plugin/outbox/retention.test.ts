import { sql } from 'drizzle-orm'
import t from 'tap'
import { Inbox, MemoryBus, outbox as outboxTable, RetentionSweeper, type Outbox } from '../../support/library.js'
import { queryRows } from '../../../plugin/database/database.js'
import { DATABASE_KINDS } from '../../support/databases.js'
import { PingSent } from '../../support/events.js'
import { outboxFixture } from '../../support/outbox-fixture.js'
import { deferred, waitFor } from '../../support/wait.js'

for (const kind of DATABASE_KINDS) {
  t.test(`on ${kind}`, async (t) => {
    t.test('a sweep deletes old published rows and old inbox marks, in batches, and nothing else', async (t) => {
      const f = await outboxFixture(t, kind)
      const db = f.database.db
      await f.outbox.transaction(async (_tx, events) => {
        for (let n = 0; n < 25; n++) events.add(PingSent.create({ n }))
      })
      await f.projector().publishAll()
      await f.outbox.transaction(async (_tx, events) => { events.add(PingSent.create({ n: 99 })) })
      // 20 of the published rows are old; 5 are recent; one row is still pending (and old).
      await db.execute(sql`update ${outboxTable} set published_at = now() - interval '8 days' where status = 'published' and (payload->>'n')::int < 20`)
      await db.execute(sql`update ${outboxTable} set created_at = now() - interval '30 days' where status = 'pending'`)
      await db.execute(sql`insert into inbox (consumer, event_id, event_type, processed_at) values
        ('c', 'old-1', 'a.B', now() - interval '15 days'), ('c', 'old-2', 'a.B', now() - interval '15 days'), ('c', 'new', 'a.B', now())`)

      const inbox = new Inbox({ transactions: f.outbox, bus: new MemoryBus({ source: 's' }), source: 's' })
      const sweeper = new RetentionSweeper(f.outbox, inbox, { batchSize: 7 })
      t.same(await sweeper.sweep(), { published: 20, inbox: 2 })
      const left = await queryRows<{ status: string, n: number }>(db, sql`select status, count(*)::int as n from ${outboxTable} group by status order by status`)
      t.same(left, [{ status: 'pending', n: 1 }, { status: 'published', n: 5 }], 'pending rows are never deleted, however old')
      t.same((await queryRows<{ event_id: string }>(db, sql`select event_id from inbox`)).map((r) => r.event_id), ['new'])
      t.same(await sweeper.sweep(), { published: 0, inbox: 0 })
    })
  })
}

t.test('retention options are checked', async (t) => {
  const f = await outboxFixture(t, 'pglite')
  t.throws(() => new RetentionSweeper(f.outbox, null, { publishedMs: -1 }), { code: 'OUTBOX_INVALID_OPTIONS', message: /retention\.publishedMs/ })
  t.throws(() => new RetentionSweeper(f.outbox, null, { batchSize: 0 }), { message: /retention\.batchSize/ })
})

t.test('start is idempotent (one sweep at a time) and stop waits for the sweep in progress', async (t) => {
  // An outbox whose purge blocks until released: a sweep is then in progress for as long as we like.
  let purges = 0
  const release = deferred<number>()
  const blockingOutbox = { purgePublished: async () => { purges++; return await release.promise } } as unknown as Outbox
  const sweeper = new RetentionSweeper(blockingOutbox, null, { intervalMs: 10 })
  sweeper.start()
  sweeper.start()
  await waitFor(() => purges === 1, 'the first sweep to start')
  // Two starts, many intervals: still one sweep running, none started beside it.
  await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(purges, 1, 'one sweep at a time, however often start() was called')

  let stopped = false
  const stopping = sweeper.stop().then(() => { stopped = true })
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(stopped, false, 'stop() waits while the sweep runs')
  release.resolve(0)
  await stopping
  t.equal(stopped, true, 'and returns once it is done')
  await new Promise((resolve) => setTimeout(resolve, 50))
  t.equal(purges, 1, 'no sweep after stop()')
})
