import { Type } from '@sinclair/typebox'
import t from 'tap'
import { createEnvelope, defineEvent, MemoryBus } from '../../support/library.js'
import { isDatabaseOutage } from '../../../plugin/database/database-errors.js'
import { deferred } from '../../support/wait.js'

/**
 * Found by npm run chaos: a 20 s outage of the database dead-lettered the events whose handlers
 * were running ("handler failed on delivery 6 of 6: database … is not currently accepting
 * connections"), and their orders never settled. A handler that fails because the database is
 * away says nothing about the message: it is retried until the database is back.
 */

const ThingHappened = defineEvent('test.ThingHappened', Type.Object({ n: Type.Integer() }))

/** What a handler sees while PostgreSQL refuses connections, wrapped as Drizzle wraps query errors. */
function refused (): Error {
  const driverError = Object.assign(new Error('database "app" is not currently accepting connections'), { code: '55000' })
  return Object.assign(new Error('Failed query: insert into "inbox" …'), { cause: driverError })
}

for (const ordered of [false, true]) {
  t.test(`${ordered ? 'ordered' : 'unordered'}: a handler failing because the database is unreachable is retried past maxRedeliveries, never dead-lettered`, async (t) => {
    const bus = new MemoryBus({ source: 'test', retryDelayMs: 1, maxRedeliveries: 2 })
    t.teardown(() => bus.stop())
    let calls = 0
    const applied = deferred()
    await bus.subscribe(ThingHappened, () => {
      if (++calls <= 6) throw refused()
      applied.resolve()
    }, { ordered })
    await bus.start()
    await bus.publish(createEnvelope({ eventType: ThingHappened.type, payload: { n: 1 }, source: 'test', partitionKey: 'k' }))
    await applied.promise
    t.equal(calls, 7, 'six failed deliveries (more than 1 + maxRedeliveries), then applied')
    t.equal(bus.deadLetters.length, 0)
  })
}

t.test('isDatabaseOutage: connection failures of the driver, the socket and the server, also as a cause', async (t) => {
  const coded = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code })
  for (const code of ['CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECT_TIMEOUT', 'ECONNREFUSED', 'ECONNRESET', '08006', '57P01', '57P03', '53300', 'OUTBOX_DATABASE_UNAVAILABLE']) {
    t.ok(isDatabaseOutage(coded(code)), code)
  }
  t.ok(isDatabaseOutage(refused()), '55000 "not currently accepting connections", wrapped')
  t.notOk(isDatabaseOutage(coded('55000', 'lock not available')), 'another 55000')
  t.notOk(isDatabaseOutage(coded('23505', 'duplicate key value')), 'a constraint violation')
  t.notOk(isDatabaseOutage(new Error('database is on fire')), 'an error without a code')
  t.notOk(isDatabaseOutage('CONNECTION_CLOSED'), 'not an error object')
})
