import t from 'tap'
import { spawnService } from '../support/service-process.js'

/**
 * Liveness and readiness through a graceful stop, on the demo service as a real process: from
 * the moment SIGTERM arrives /health/ready answers 503 (route no traffic here) while
 * /health/live keeps answering 200 (do not kill a process that is draining). STOP_DELAY_MS keeps
 * the server answering for that long before any work stops.
 */

t.setTimeout(300_000)

async function probe (url: string, path: string): Promise<{ status: number, body: unknown }> {
  const response = await fetch(`${url}${path}`)
  return { status: response.status, body: await response.json() }
}

t.test('SIGTERM: ready turns false at once, live stays true while the service stops', async (t) => {
  const service = spawnService(t, { STOP_DELAY_MS: '4000' })
  const url = await service.listening()
  t.match(await probe(url, '/health/ready'), { status: 200, body: { ready: true, stopping: false } }, 'ready before the stop')
  t.match(await probe(url, '/health/live'), { status: 200, body: { live: true } }, 'live before the stop')

  service.signal('SIGTERM')
  await service.waitFor(/Stopping gracefully/, 'the graceful stop to begin')
  t.match(await probe(url, '/health/ready'), { status: 503, body: { ready: false, stopping: true } }, 'not ready as soon as the stop began')
  t.match(await probe(url, '/health/live'), { status: 200, body: { live: true } }, 'still live while stopping')
  t.match(await probe(url, '/health'), { status: 200, body: { status: 'stopping', ready: false } }, '/health says so too')
  t.ok(service.running, 'the process is still running')

  t.same(await service.exited, { code: 0, signal: null }, 'then it exits cleanly')
  const messages = service.logLines().map((line) => line.msg)
  t.ok(messages.indexOf('OutboxProjector stopped') > messages.indexOf('Stopping gracefully (send the signal again to force)'), 'the projector stopped after the delay')
})

