import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { outboxPlugin } from '../../support/library.js'
import { outboxBoard, type OutboxBoardOptions } from 'fastify-outbox/board'
import { freshDatabase } from '../../support/databases.js'

/** The board is never open: registering it needs a token or an authorize check, and requests without it get 401. */

const TOKEN = 'board-token-0123456789'

async function appWithBoard (t: Test, options: OutboxBoardOptions | Record<string, never>): Promise<FastifyInstance> {
  const database = await freshDatabase(t, 'pglite')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(outboxPlugin, { db: database.db, source: 'ledger' })
  await app.register(outboxBoard, options as OutboxBoardOptions)
  await app.ready()
  return app
}

t.test('registering the board without a token or an authorize check is refused', async (t) => {
  await t.rejects(appWithBoard(t, {}), { code: 'OUTBOX_INVALID_OPTIONS', message: /the outbox board needs \{ token \} \(at least 16 characters\) or \{ authorize: \(request\) => boolean \}/ })
  await t.rejects(appWithBoard(t, { token: 'short' }), { code: 'OUTBOX_INVALID_OPTIONS' }, 'a guessable token too')
})

t.test('with a token: every route refuses a request without it, or with another one', async (t) => {
  const app = await appWithBoard(t, { token: TOKEN })
  for (const url of ['/outbox/', '/outbox/api/status', '/outbox/api/failed', '/outbox/api/dead-letters']) {
    t.equal((await app.inject(url)).statusCode, 401, `${url} without the token`)
    t.equal((await app.inject({ url, headers: { authorization: 'Bearer board-token-9876543210' } })).statusCode, 401, `${url} with a wrong token`)
    t.equal((await app.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 200, `${url} with the token`)
  }
  t.equal((await app.inject({ method: 'POST', url: '/outbox/api/failed/1/replay' })).statusCode, 401, 'replay without the token')
  t.equal((await app.inject(`/outbox/?token=${TOKEN}`)).statusCode, 200, 'the page opened with ?token=')
  t.match((await app.inject({ url: '/outbox/api/status', headers: { authorization: `Bearer ${TOKEN}` } })).json(), { pending: 0, failed: 0, oldestPendingMs: null, blockedKeys: [], bus: { kind: 'memory' } })
})

t.test('with an authorize check: it decides', async (t) => {
  const app = await appWithBoard(t, { authorize: (request) => request.headers['x-role'] === 'operator' })
  t.equal((await app.inject('/outbox/api/status')).statusCode, 401)
  t.equal((await app.inject({ url: '/outbox/api/status', headers: { 'x-role': 'operator' } })).statusCode, 200)
})
