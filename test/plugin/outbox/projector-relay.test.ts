import t from 'tap'
import { Outbox } from '../../support/library.js'
import { DATABASE_KINDS } from '../../support/databases.js'
import { AccountCredited, PingSent } from '../../support/events.js'
import { outboxFixture, publishedSeqByAccount } from '../../support/outbox-fixture.js'
import { deferred, waitFor } from '../../support/wait.js'
import { sql } from 'drizzle-orm'
import { queryRows } from '../../../plugin/database/database.js'
import { outbox as outboxTable } from '../../support/library.js'

for (const kind of DATABASE_KINDS) {
  t.test(`on ${kind}`, async (t) => {
    t.test('publishAll publishes every pending row once, returns the count and marks them published', async (t) => {
      const f = await outboxFixture(t, kind)
      const added = await f.outbox.transaction(async (_tx, events) => [
        events.add(AccountCredited.create({ account: 'a', seq: 0, amount: 5 })),
        events.add(PingSent.create({ n: 1 }, { headers: { traceparent: '00-trace-span-01' } }))
      ], { correlationId: 'corr-1', causationId: 'cause-1' })
      const projector = f.projector()
      t.equal(await projector.publishAll(), 2)
      t.equal(await projector.publishAll(), 0, 'nothing left')
      t.same(f.bus.published.map((p) => p.envelope), added, 'the envelopes arrive exactly as added')
      t.same(f.bus.published.map((p) => p.topic), ['ledger.AccountCredited', 'test.PingSent'])
      t.same(await f.statuses(), { published: 2 })
      const row = await f.row(added[0]!.eventId)
      t.ok(row.published_at !== null, 'published_at is set')
    })

    t.test('batches: more rows than the batch size all go out, in id order when unkeyed', async (t) => {
      const f = await outboxFixture(t, kind)
      await f.outbox.transaction(async (_tx, events) => {
        for (let n = 0; n < 250; n++) events.add(PingSent.create({ n }))
      })
      const projector = f.projector({ batchSize: 100, publishConcurrency: 1 })
      t.equal(await projector.publishAll(), 250)
      t.same(f.bus.published.map((p) => (p.envelope.payload as { n: number }).n), Array.from({ length: 250 }, (_, n) => n))
      t.equal(projector.stats.batches, 3)
    })

    t.test('a running projector relays a commit at once, without waiting for its poll', async (t) => {
      const f = await outboxFixture(t, kind)
      const projector = f.projector({ pollIntervalMs: 60_000 })
      f.outbox.signal.onCommit(() => projector.nudge())
      await projector.start()
      await f.outbox.transaction(async (_tx, events) => { events.add(PingSent.create({ n: 1 })) })
      // Its poll is 60 s: only the wake-up can relay the row within the wait.
      await waitFor(() => projector.stats.published === 1, 'the nudged projector to publish and mark the row', 5_000)
      t.same(f.bus.published.map((p) => p.envelope.payload), [{ n: 1 }], 'relayed by the running projector, woken by the commit')
    })

    t.test('LISTEN/NOTIFY wakes a projector for commits made elsewhere', async (t) => {
      const f = await outboxFixture(t, kind)
      const projector = f.projector({ pollIntervalMs: 60_000 })
      await projector.start()
      // A writer with no projector of its own, as another process would be: it sends NOTIFY.
      const writer = new Outbox({ db: f.database.db, source: 'other', catalog: f.catalog, notifyChannel: 'outbox' })
      await writer.transaction(async (_tx, events) => { events.add(PingSent.create({ n: 2 })) })
      // Its poll is 60 s: only the wake-up can relay the row within the wait.
      await waitFor(() => projector.stats.published === 1, 'the notified projector to publish and mark the row', 5_000)
      t.same(f.bus.published.map((p) => p.envelope.payload), [{ n: 2 }], 'relayed by the running projector, woken by the NOTIFY')
    })
  })
}

t.test('three projectors on one table publish every row exactly once, each key in commit order', async (t) => {
  const f = await outboxFixture(t, 'postgres')
  // More keys than one batch holds, so a key's rows are not all behind another projector's lease.
  const accounts = Array.from({ length: 60 }, (_, i) => `acc-${i}`)
  await f.credit(accounts, 5)
  const projectors = [1, 2, 3].map(() => f.projector({ batchSize: 20, publishConcurrency: 8 }))
  await Promise.all(projectors.map((p) => p.start()))
  await waitFor(async () => (await f.outbox.backlog()).pending === 0, 'the backlog to drain', 30_000)
  await Promise.all(projectors.map((p) => p.stop()))

  const ids = f.bus.eventIds()
  t.equal(ids.length, 300, 'published count equals rows added')
  t.equal(new Set(ids).size, 300, 'no event id published twice')
  const busy = projectors.filter((p) => p.stats.published > 0).length
  t.ok(busy >= 2, `the work was shared (${projectors.map((p) => p.stats.published).join('/')})`)
  const expected = [0, 1, 2, 3, 4]
  for (const [account, seqs] of publishedSeqByAccount(f.bus)) t.same(seqs, expected, `${account} in order`)
})

for (const kind of DATABASE_KINDS) {
  t.test(`batches overlap on ${kind}`, async (t) => {
    t.test('while a full batch publishes, the next one is already claimed; both go out once', async (t) => {
      const f = await outboxFixture(t, kind)
      await f.outbox.transaction(async (_tx, events) => {
        for (let n = 0; n < 25; n++) events.add(PingSent.create({ n }))
      })
      const inFlight = deferred()
      const release = deferred()
      f.bus.beforePublish = async () => {
        inFlight.resolve()
        await release.promise
      }
      const projector = f.projector({ batchSize: 10 })
      await projector.start()
      await inFlight.promise
      const leased = async (): Promise<number> => (await queryRows<{ n: number }>(f.database.db, sql`
        select count(*)::int as n from ${outboxTable} where status = 'pending' and locked_until > now()`))[0]!.n
      await waitFor(async () => await leased() === 20, 'the second batch to be claimed while the first publishes')
      t.equal(f.bus.published.length, 0, 'nothing published yet: only one batch publishes at a time')
      release.resolve()
      await waitFor(() => f.bus.published.length === 25, 'everything to be published')
      t.same(f.bus.published.map((p) => (p.envelope.payload as { n: number }).n), Array.from({ length: 25 }, (_, n) => n), 'once each, in id order')
      await waitFor(async () => (await f.statuses()).published === 25, 'every row to be marked')
    })

    t.test('keys stay in commit order when batches overlap, whatever the batch boundaries', async (t) => {
      const f = await outboxFixture(t, kind)
      // 5 keys x 12 events, committed round-robin: every batch of 7 cuts through every key.
      await f.credit(['a', 'b', 'c', 'd', 'e'], 12)
      // Publishes take a turn of the event loop, so that several of a batch are in flight together.
      f.bus.beforePublish = async () => { await new Promise((resolve) => setImmediate(resolve)) }
      const projector = f.projector({ batchSize: 7, publishConcurrency: 3 })
      await projector.start()
      await waitFor(() => f.bus.published.length === 60, 'all 60 events to be published', 20_000)
      t.equal(new Set(f.bus.eventIds()).size, 60, 'none twice')
      for (const [account, seqs] of publishedSeqByAccount(f.bus)) t.same(seqs, Array.from({ length: 12 }, (_, i) => i), `${account} in order`)
    })
  })
}
