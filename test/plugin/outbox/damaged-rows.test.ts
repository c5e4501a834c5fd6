import { sql } from 'drizzle-orm'
import t from 'tap'
import { outbox as outboxTable } from '../../support/library.js'
import { DATABASE_KINDS } from '../../support/databases.js'
import { PingSent } from '../../support/events.js'
import { outboxFixture } from '../../support/outbox-fixture.js'
import { waitFor } from '../../support/wait.js'

/**
 * Rows damaged in the database in ways other than their payload (projector-failures.test.ts has
 * the payload): each fails once with the reason, the healthy rows around it are published, and
 * nothing is retried forever.
 */

const damages: Array<[string, ReturnType<typeof sql>, RegExp]> = [
  ['occurred_at set to infinity', sql`occurred_at = 'infinity'`, /^unpublishable row: .*occurredAt "infinity" is not an ISO 8601 date-time/],
  ['an event type that is no event name', sql`event_type = 'not an event'`, /^unpublishable row: .*eventType "not an event" is not a \{domain\}\.\{EventName\} name/],
  ['a header that is not a string', sql`headers = '{"traceparent": 7}'::jsonb`, /^unpublishable row: .*header traceparent must be a string/],
  ['an empty source', sql`source = ''`, /^unpublishable row: .*source must be a non-empty string/]
]

for (const kind of DATABASE_KINDS) {
  t.test(`on ${kind}`, async (t) => {
    for (const [name, damage, reason] of damages) {
      t.test(`a row with ${name} fails once with the reason; the rows around it are published`, async (t) => {
        const f = await outboxFixture(t, kind)
        const [before, damaged, after] = await f.outbox.transaction(async (_tx, events) => [
          events.add(PingSent.create({ n: 1 })),
          events.add(PingSent.create({ n: 2 })),
          events.add(PingSent.create({ n: 3 }))
        ])
        await f.database.db.execute(sql`update ${outboxTable} set ${damage} where event_id = ${damaged!.eventId}`)
        const projector = f.projector()
        t.equal(await projector.publishAll(), 2, 'the healthy rows are published')
        t.same(f.bus.eventIds(), [before!.eventId, after!.eventId])
        t.match(await f.row(damaged!.eventId), { status: 'failed', attempts: 1, last_error: reason })
        t.equal(await projector.publishAll(), 0, 'the damaged row is not picked up again')
      })
    }

    t.test('a running projector is not stalled by a damaged row: its batch is settled, the healthy rows published once', async (t) => {
      const f = await outboxFixture(t, kind)
      const [, damaged] = await f.outbox.transaction(async (_tx, events) => [1, 2, 3, 4].map((n) => events.add(PingSent.create({ n }))))
      await f.database.db.execute(sql`update ${outboxTable} set occurred_at = 'infinity' where event_id = ${damaged!.eventId}`)
      const projector = f.projector()
      await projector.start()
      await waitFor(async () => (await f.statuses()).pending === undefined, 'every row settled')
      t.same(await f.statuses(), { published: 3, failed: 1 })
      t.equal(projector.stats.errors, 0, 'no round failed')
      t.equal(f.bus.published.length, 3, 'each healthy row published once')
    })
  })
}
