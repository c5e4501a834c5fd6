import t from 'tap'
import { OutboxProjector, outbox as outboxTable, type OutboxLogger } from '../../support/library.js'
import { claimBatch } from '../../../plugin/outbox/statements/claim-batch.js'
import { DATABASE_KINDS } from '../../support/databases.js'
import { PingSent } from '../../support/events.js'
import { outboxFixture } from '../../support/outbox-fixture.js'
import { deferred, waitFor } from '../../support/wait.js'

function recordingLogger (): OutboxLogger & { lines: string[] } {
  const lines: string[] = []
  const log = (obj: object | string, msg?: string): void => { lines.push(typeof obj === 'string' ? obj : msg ?? '') }
  return { lines, debug: log, info: log, warn: log, error: log }
}

for (const kind of DATABASE_KINDS) {
  t.test(`on ${kind}`, async (t) => {
    t.test('a commit that lands while the last batch settles wakes the projector (no poll interval waited)', async (t) => {
      const f = await outboxFixture(t, kind)
      // Polling would take 60 s: only the wake-ups can relay these in time.
      const projector = f.projector({ pollIntervalMs: 60_000 })
      f.outbox.signal.onCommit(() => projector.nudge())
      await projector.start()
      const chain = 40
      const commit = async (n: number): Promise<void> => {
        await f.outbox.transaction(async (_tx, events) => { events.add(PingSent.create({ n })) })
      }
      // Each event commits the next while it is being published, so commits land at every point
      // of the loop, among them while the batch before is being marked published.
      f.bus.beforePublish = async (envelope) => {
        const n = (envelope.payload as { n: number }).n
        if (n + 1 < chain) void commit(n + 1)
      }
      const started = Date.now()
      await commit(0)
      await waitFor(() => f.bus.published.length === chain, `${chain} chained events relayed by wake-ups alone`, 20_000)
      t.equal(f.bus.published.length, chain)
      t.ok(Date.now() - started < 20_000, `relayed in ${Date.now() - started} ms`)
    })

    t.test('stop() lets the batch in flight finish: nothing lost, nothing sent twice', async (t) => {
      const f = await outboxFixture(t, kind)
      await f.outbox.transaction(async (_tx, events) => {
        for (let n = 0; n < 30; n++) events.add(PingSent.create({ n }))
      })
      const inFlight = deferred()
      const release = deferred()
      f.bus.beforePublish = async () => {
        inFlight.resolve()
        await release.promise
      }
      const logger = recordingLogger()
      const projector = f.projector({ batchSize: 10, logger })
      await projector.start()
      t.ok(logger.lines.includes('OutboxProjector started'), 'logs its start line')
      await inFlight.promise
      const stopping = projector.stop()
      release.resolve()
      await stopping
      t.equal(projector.running, false)
      t.equal(f.bus.published.length, 10, 'the batch in flight was published')
      t.same(await f.statuses(), { published: 10, pending: 20 }, 'and marked; the rest waits, pending')

      f.bus.beforePublish = null
      const successor = f.projector()
      t.equal(await successor.publishAll(), 20)
      t.equal(new Set(f.bus.eventIds()).size, 30, 'all 30 exactly once')
      const stopLines = (): number => logger.lines.filter((line) => line === 'OutboxProjector stopped').length
      t.equal(stopLines(), 1, 'the first stop() logged its stop')
      await projector.stop()
      t.equal(projector.running, false)
      t.equal(stopLines(), 1, 'a second stop() does nothing: no second stop, no error')
    })
  })
}

t.test('rows leased by a projector that died are relayed by another once the lease runs out', async (t) => {
  const f = await outboxFixture(t, 'postgres')
  await f.outbox.transaction(async (_tx, events) => {
    for (let n = 0; n < 5; n++) events.add(PingSent.create({ n }))
  })
  // The dead projector's last act: it leased the rows, then was killed before publishing.
  const leased = await claimBatch(f.database.db, outboxTable, { limit: 10, owner: 'dead-host:1:1', leaseMs: 400 })
  t.equal(leased.length, 5)
  const rescuer = f.projector()
  t.equal(await rescuer.publishAll(), 0, 'leased rows are left alone while the lease holds')
  await waitFor(async () => (await rescuer.publishAll()) === 5, 'the lease to run out and the rescuer to relay', 10_000, 100)
  t.same(await f.statuses(), { published: 5 })
  t.equal(new Set(f.bus.eventIds()).size, 5)
})

t.test('a projector restarted under the same id frees its old leases at once', async (t) => {
  const f = await outboxFixture(t, 'pglite')
  await f.outbox.transaction(async (_tx, events) => { events.add(PingSent.create({ n: 1 })) })
  await claimBatch(f.database.db, outboxTable, { limit: 10, owner: 'pod-7:1:1', leaseMs: 3_600_000 })
  const restarted = f.projector({ projectorId: 'pod-7:1:1', pollIntervalMs: 60_000 })
  await restarted.start()
  await waitFor(() => f.bus.published.length === 1, 'the restarted projector to relay its own leased row', 5_000)
  t.same(await f.statuses(), { published: 1 }, 'relayed and marked without waiting out the hour-long lease')
  t.equal(f.bus.published.length, 1)
})

t.test('a publish that hangs past the lease counts as a failed attempt; the row goes out again', async (t) => {
  const f = await outboxFixture(t, 'pglite')
  const [event] = await f.outbox.transaction(async (_tx, events) => [events.add(PingSent.create({ n: 1 }))])
  let hang = true
  f.bus.beforePublish = async () => {
    if (hang) {
      hang = false
      await new Promise(() => {})
    }
  }
  const projector = f.projector({ leaseMs: 200 })
  t.equal(await projector.publishAll(), 1)
  t.match(await f.row(event!.eventId), { status: 'published', attempts: 1, last_error: /did not complete within the 200 ms lease/ })
})

t.test('options are checked with clear errors', async (t) => {
  const f = await outboxFixture(t, 'pglite')
  t.throws(() => new OutboxProjector({ db: undefined as never, bus: f.bus }), { code: 'OUTBOX_INVALID_OPTIONS', message: /needs db/ })
  t.throws(() => new OutboxProjector({ db: f.database.db, bus: undefined as never }), { message: /needs bus/ })
  t.throws(() => new OutboxProjector({ db: f.database.db, bus: f.bus, batchSize: 0 }), { message: /batchSize must be a whole number of 1 or more, got 0/ })
  t.throws(() => new OutboxProjector({ db: f.database.db, bus: f.bus, pollIntervalMs: 1.5 }), { message: /pollIntervalMs/ })
})
