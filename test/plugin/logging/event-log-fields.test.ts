import t, { type Test } from 'tap'
import { createEnvelope, Inbox, MemoryBus, Outbox, OutboxProjector } from '../../support/library.js'
import { freshDatabase } from '../../support/databases.js'
import { AccountCredited } from '../../support/events.js'
import { RecordingBus } from '../../support/recording-bus.js'
import { recordingLogger } from '../../support/recording-logger.js'
import { waitFor } from '../../support/wait.js'

/**
 * Every log line the library writes about one event names it three ways (eventId, eventType,
 * correlationId), so an operator can go from any of them to all the lines of one request.
 */

type Lines = ReturnType<typeof recordingLogger>['lines']

/** The lines that carry `eventId`, each checked to carry the event's type and correlation id too. */
function linesAbout (t: Test, lines: Lines, event: { eventId: string, eventType: string, correlationId: string | null }): string[] {
  const about = lines.filter((line) => (line.obj as { eventId?: unknown } | null)?.eventId === event.eventId)
  for (const line of about) {
    t.match(line.obj, { eventType: event.eventType, correlationId: event.correlationId }, `"${line.msg}" names the event's type and correlation id`)
  }
  return about.map((line) => line.msg)
}

t.test('a failing handler: each retry and the dead letter carry the event id, type and correlation id', async (t) => {
  const logger = recordingLogger()
  const bus = new MemoryBus({ source: 'ledger', logger, retryDelayMs: 1, maxRedeliveries: 1 })
  t.teardown(() => bus.stop())
  await bus.subscribe(AccountCredited, async () => { throw new Error('ledger closed') })
  await bus.start()
  const event = createEnvelope({ eventType: AccountCredited.type, payload: { account: 'a', seq: 0, amount: 1 }, source: 'ledger', correlationId: 'checkout-7' })
  await bus.publish(event)
  await waitFor(async () => bus.deadLetters.length === 1, 'the event to be dead-lettered')
  t.same(linesAbout(t, logger.lines, event), ['Handler failed; the message will be redelivered', 'Message dead-lettered'])
})

t.test('a publish the broker refuses: the projector names each row\'s event', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  const outbox = new Outbox({ db: database.db, source: 'ledger' })
  const bus = new RecordingBus()
  await bus.start()
  const logger = recordingLogger()
  const projector = new OutboxProjector({ db: database.db, bus, logger, retryBaseDelayMs: 0 })
  const [first, second] = await outbox.transaction(async (_tx, events) => [
    events.add(AccountCredited.create({ account: 'a', seq: 0, amount: 1 })),
    events.add(AccountCredited.create({ account: 'b', seq: 0, amount: 1 }))
  ], { correlationId: 'checkout-8' })
  bus.failNext = 2
  await projector.publishAll()
  for (const event of [first!, second!]) {
    t.same(linesAbout(t, logger.lines, event), ['Publishing an outbox row failed; it will be retried with backoff'], `row of ${event.eventId}`)
  }
})

t.test('a duplicate absorbed by the inbox is logged with the event id, type and correlation id', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  const logger = recordingLogger()
  const bus = new MemoryBus({ source: 'ledger' })
  t.teardown(() => bus.stop())
  const outbox = new Outbox({ db: database.db, source: 'ledger', catalog: bus.catalog })
  const inbox = new Inbox({ transactions: outbox, bus, source: 'ledger', logger })
  await inbox.subscribe(AccountCredited, async () => {})
  await bus.start()
  const event = createEnvelope({ eventType: AccountCredited.type, payload: { account: 'a', seq: 0, amount: 1 }, source: 'ledger', correlationId: 'checkout-9' })
  await bus.publish(event)
  await bus.publish(event)
  await waitFor(async () => inbox.stats.duplicates === 1, 'the second delivery to be absorbed')
  t.same(linesAbout(t, logger.lines, event), ['Duplicate delivery acknowledged; the event was already applied'])
})
