import { sql } from 'drizzle-orm'
import Fastify from 'fastify'
import t from 'tap'
import { MemoryBus, outboxPlugin, outbox as outboxTable, RequestOutbox, type FastifyOutboxOptions } from '../../support/library.js'
import { queryRows } from '../../../plugin/database/database.js'
import { DATABASE_KINDS, freshDatabase } from '../../support/databases.js'
import { PingSent } from '../../support/events.js'
import { RecordingBus } from '../../support/recording-bus.js'
import { waitFor } from '../../support/wait.js'

t.test('registration errors name the cause and the fix', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  const cases: Array<[string, unknown, RegExp]> = [
    ['no options', undefined, /db is required/],
    ['no db', { source: 's' }, /db is required: pass a Drizzle PostgreSQL database/],
    ['not drizzle', { source: 's', db: { query: () => {} } }, /not a Drizzle PostgreSQL database/],
    ['no source', { db: database.db }, /source is required/],
    ['bad bus', { db: database.db, source: 's', bus: { publish () {} } }, /bus must implement MessageBus/],
    ['bad events', { db: database.db, source: 's', events: ['order.OrderCreated'] }, /events must be an array of definitions/],
    ['bad header', { db: database.db, source: 's', correlationHeader: 'x correlation' }, /correlationHeader/],
    ['bad notify', { db: database.db, source: 's', notify: 'sometimes' }, /notify must be/],
    ['bad projector option', { db: database.db, source: 's', projector: { batchSize: -5 } }, /batchSize must be a whole number of 1 or more, got -5/]
  ]
  for (const [name, options, message] of cases) {
    const app = Fastify()
    app.register(outboxPlugin, options as FastifyOutboxOptions)
    await t.rejects(async () => await app.ready(), { code: 'OUTBOX_INVALID_OPTIONS', message }, name)
    await app.close()
  }
})

t.test('registering twice is a clear error', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  const app = Fastify()
  t.teardown(() => app.close())
  app.register(outboxPlugin, { db: database.db, source: 's' })
  app.register(async (child) => { await child.register(outboxPlugin, { db: database.db, source: 's' }) })
  await t.rejects(async () => await app.ready(), { code: 'OUTBOX_ALREADY_REGISTERED' })
})

t.test('starts the bus then the projector on ready; stops the projector then the bus on close', async (t) => {
  const database = await freshDatabase(t, 'pglite')
  const steps: string[] = []
  const bus = new RecordingBus()
  const start = bus.start.bind(bus)
  const stop = bus.stop.bind(bus)
  bus.start = async () => { steps.push('bus started'); await start() }
  bus.stop = async () => { steps.push(`bus stopping (projector running: ${String(app.outbox.projector?.running)})`); await stop() }
  const app = Fastify()
  await app.register(outboxPlugin, { db: database.db, source: 's', bus, retention: false })
  t.equal(app.bus, bus)
  t.equal(app.outbox.projector?.running, false, 'nothing runs before ready')
  await app.ready()
  t.equal(app.outbox.projector?.running, true)
  await app.close()
  t.same(steps, ['bus started', 'bus stopping (projector running: false)'])
})

for (const kind of DATABASE_KINDS) {
  t.test(`request.outbox on ${kind}`, async (t) => {
    const database = await freshDatabase(t, kind)
    await database.db.execute(sql`create table notes (id int primary key)`)
    const bus = new MemoryBus({ source: 'notes' })
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(outboxPlugin, { db: database.db, source: 'notes', bus, events: [PingSent], projector: { pollIntervalMs: 60_000 } })
    const received: Array<{ n: number, correlationId: string | null }> = []
    await app.bus.subscribe(PingSent, (e) => { received.push({ n: e.payload.n, correlationId: e.correlationId }) })

    app.post<{ Body: { id: number, fail?: boolean } }>('/notes', async (request, reply) => {
      await request.outbox.transaction(async (tx) => {
        await tx.execute(sql`insert into notes values (${request.body.id})`)
        request.outbox.add(PingSent.create({ n: request.body.id }))
        if (request.body.fail === true) throw new Error('validation after the insert failed')
      })
      return await reply.code(201).send({ ok: true })
    })
    app.post('/careless', async (request) => {
      request.outbox.add(PingSent.create({ n: 0 }))
      return { ok: true }
    })
    app.get('/same', async (request) => ({ same: request.outbox === request.outbox, isRequestOutbox: request.outbox instanceof RequestOutbox }))
    await app.ready()
    const rows = async (): Promise<unknown[]> => await queryRows(database.db, sql`select * from notes`)

    t.test('a route that commits writes the row and the event; the event is relayed with the request\'s correlation id', async (t) => {
      const response = await app.inject({ method: 'POST', url: '/notes', payload: { id: 1 }, headers: { 'x-correlation-id': 'trace-abc' } })
      t.equal(response.statusCode, 201)
      t.equal(response.headers['x-correlation-id'], 'trace-abc', 'echoed back')
      t.equal((await rows()).length, 1)
      await waitFor(() => received.length === 1, 'the event to be relayed (the commit nudges the projector)', 5_000)
      t.same(received, [{ n: 1, correlationId: 'trace-abc' }])
    })

    t.test('a route that throws after adding leaves neither the row nor the event', async (t) => {
      const before = (await queryRows(database.db, sql`select * from ${outboxTable}`)).length
      const response = await app.inject({ method: 'POST', url: '/notes', payload: { id: 2, fail: true } })
      t.equal(response.statusCode, 500)
      t.equal((await queryRows(database.db, sql`select * from notes where id = 2`)).length, 0)
      t.equal((await queryRows(database.db, sql`select * from ${outboxTable}`)).length, before)
    })

    t.test('adding outside a transaction is refused, naming the fix', async (t) => {
      const response = await app.inject({ method: 'POST', url: '/careless' })
      t.equal(response.statusCode, 500)
      t.match(response.json(), { code: 'OUTBOX_NO_TRANSACTION', message: /Call it inside outbox\.transaction/ })
    })

    t.test('request.outbox is one object per request, made on first use', async (t) => {
      t.same((await app.inject('/same')).json(), { same: true, isRequestOutbox: true })
    })

    t.test('an unusable correlation header is replaced by the request id', async (t) => {
      const response = await app.inject({ method: 'POST', url: '/notes', payload: { id: 3 }, headers: { 'x-correlation-id': 'has spaces and "quotes"' } })
      t.equal(response.statusCode, 201)
      const echoed = response.headers['x-correlation-id']
      t.type(echoed, 'string', 'a correlation id is echoed')
      t.not(echoed, 'has spaces and "quotes"')
      t.match(echoed, /^[A-Za-z0-9._:@/+=-]{1,200}$/, 'a sane one')
      await waitFor(() => received.some((r) => r.n === 3), 'the event to be relayed', 5_000)
      t.equal(received.find((r) => r.n === 3)?.correlationId, echoed, 'the event carries the id the response echoed')
    })
  })
}

t.test('with projector: false this process relays nothing and NOTIFYs the projectors elsewhere', async (t) => {
  const database = await freshDatabase(t, 'postgres')
  const writer = Fastify()
  t.teardown(() => writer.close())
  await writer.register(outboxPlugin, { db: database.db, source: 'writer', projector: false, retention: false })
  writer.post('/ping', async (request) => {
    await request.outbox.transaction(async () => { request.outbox.add(PingSent.create({ n: 9 })) })
    return { ok: true }
  })
  await writer.ready()
  t.equal(writer.outbox.projector, null)

  const relay = Fastify()
  t.teardown(() => relay.close())
  const bus = new RecordingBus()
  await relay.register(outboxPlugin, { db: database.db, source: 'relay', bus, projector: { pollIntervalMs: 60_000 }, retention: false })
  await relay.ready()
  await writer.inject({ method: 'POST', url: '/ping' })
  await waitFor(() => bus.published.length === 1, 'the projector to be woken by NOTIFY', 5_000)
  t.equal(bus.published[0]!.envelope.source, 'writer')
})
