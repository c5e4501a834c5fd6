import t from 'tap'
import { spawnService } from '../support/service-process.js'

/** The demo serves the outbox board only when OUTBOX_BOARD_TOKEN is set, and only to that token. */

t.setTimeout(300_000)

const TOKEN = 'demo-board-token-0123456789'

t.test('OUTBOX_BOARD_TOKEN: the board at /outbox, refused without the token', async (t) => {
  const service = spawnService(t, { OUTBOX_BOARD_TOKEN: TOKEN })
  const url = await service.listening()
  t.equal((await fetch(`${url}/outbox/api/status`)).status, 401, 'without the token')
  const status = await fetch(`${url}/outbox/api/status`, { headers: { authorization: `Bearer ${TOKEN}` } })
  t.equal(status.status, 200, 'with it')
  t.match(await status.json(), { pending: Number, failed: 0, bus: { kind: 'memory', started: true } })
  t.match(await (await fetch(`${url}/outbox/?token=${TOKEN}`)).text(), /<title>Outbox board<\/title>/, 'the page')
})

t.test('no OUTBOX_BOARD_TOKEN: no board', async (t) => {
  const service = spawnService(t)
  const url = await service.listening()
  t.equal((await fetch(`${url}/outbox/api/status`)).status, 404)
})

t.test('a token too short to be safe: a clear error, before listening', async (t) => {
  const service = spawnService(t, { OUTBOX_BOARD_TOKEN: 'short' })
  const exit = await service.exited
  t.equal(exit.code, 1)
  t.match(service.stderr, /the outbox board needs \{ token \} \(at least 16 characters\)/)
})
