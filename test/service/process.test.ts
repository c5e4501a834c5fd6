import { connect, type Socket } from 'node:net'
import t from 'tap'
import { isFree } from '../support/pulsar-instance.js'
import { placeOrderOverHttp, settledOverHttp, spawnService } from '../support/service-process.js'
import { deferred } from '../support/wait.js'
import { driverUnderTest } from '../support/pulsar-driver.js'

/**
 * The demo service as a real process (`node --import tsx service/main.ts`) in its embedded
 * default (PGlite in memory, the in-memory bus): how it stops on signals, and how it refuses
 * bad configuration before it listens.
 */

t.setTimeout(900_000)

t.test('SIGTERM: "Stopping gracefully", the projector stops, exit 0', async (t) => {
  const service = spawnService(t)
  const url = await service.listening()
  const id = await placeOrderOverHttp(url)
  t.equal(await settledOverHttp(url, id), 'confirmed', 'the service works before the signal')

  service.signal('SIGTERM')
  t.same(await service.exited, { code: 0, signal: null }, 'exit code 0')
  const messages = service.logLines().map((line) => line.msg)
  t.ok(messages.includes('Stopping gracefully (send the signal again to force)'), 'says it is stopping gracefully')
  t.ok(messages.includes('OutboxProjector stopped'), 'the projector stop line')
  t.ok(messages.indexOf('Stopping gracefully (send the signal again to force)') < messages.indexOf('OutboxProjector stopped'), 'in that order')
  t.equal(service.stderr, '', 'nothing on stderr')
})

t.test('a second signal while stopping (a request still in flight) forces exit 1', async (t) => {
  const service = spawnService(t)
  const url = new URL(await service.listening())
  // A request whose body never finishes: a graceful stop waits for it.
  const socket = await openSocket(Number(url.port))
  t.teardown(() => socket.destroy())
  socket.write('POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"customerId":')

  service.signal('SIGTERM')
  await service.waitFor(/Stopping gracefully/, 'the graceful stop to begin')
  t.ok(service.running, 'still running: the stop waits for the request in flight')
  service.signal('SIGINT')
  t.same(await service.exited, { code: 1, signal: null }, 'exit code 1')
  const messages = service.logLines().map((line) => line.msg)
  t.ok(messages.includes('Second signal: exiting without waiting'), 'says why it exits at once')
})

t.test('a graceful stop that cannot finish ends after SHUTDOWN_TIMEOUT_MS with exit 1', async (t) => {
  const service = spawnService(t, { SHUTDOWN_TIMEOUT_MS: '1500' })
  const url = new URL(await service.listening())
  const socket = await openSocket(Number(url.port))
  t.teardown(() => socket.destroy())
  socket.write('POST /orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"customerId":')
  service.signal('SIGTERM')
  t.same(await service.exited, { code: 1, signal: null }, 'exit code 1, without a second signal')
  t.ok(service.logLines().some((line) => line.msg === 'Graceful stop did not finish in time; exiting'), 'says why')
})

const badConfigs: Array<[string, Record<string, string>, RegExp]> = [
  ['PORT=abc', { PORT: 'abc' }, /PORT must be a whole number from 0 to 65535, got "abc"/],
  ['LOG_LEVEL=loud', { LOG_LEVEL: 'loud' }, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/],
  ['OUTBOX_PROJECTOR=maybe', { OUTBOX_PROJECTOR: 'maybe' }, /OUTBOX_PROJECTOR must be true or false, got "maybe"/],
  ['SHUTDOWN_TIMEOUT_MS=soon', { SHUTDOWN_TIMEOUT_MS: 'soon' }, /SHUTDOWN_TIMEOUT_MS/],
  ['PULSAR_URL=http://nowhere', { PULSAR_URL: 'http://nowhere' }, /PULSAR_URL must be the broker's binary address pulsar:\/\/host:6650 .*got scheme "http:\/\/"\. The http:\/\/ address is the web port: give it as PULSAR_WEB_URL$/m],
  ['PULSAR_TLS_ENABLED=perhaps with PULSAR_URL', { PULSAR_URL: 'pulsar://127.0.0.1:6650', PULSAR_TLS_ENABLED: 'perhaps' }, /PULSAR_TLS_ENABLED must be true or false .*got "perhaps"/],
  ['PULSAR_TLS_ENABLED=perhaps without PULSAR_URL', { PULSAR_TLS_ENABLED: 'perhaps' }, /PULSAR_TLS_ENABLED is set but PULSAR_URL is not, so the in-memory bus would run and ignore it: set PULSAR_URL \(e\.g\. pulsar:\/\/localhost:6650\) to use Pulsar, or unset PULSAR_TLS_ENABLED/],
  ['DATABASE_URL=http://x', { DATABASE_URL: 'http://x' }, /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\/, got http:\/\//],
  ['DATABASE_URL of a port where nothing listens', { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x' }, /Cannot use PostgreSQL at postgres:\/\/127\.0\.0\.1:1\/x: ECONNREFUSED: nothing listens there\. Is the server up, and are the host and port in DATABASE_URL right\?/]
]

for (const [name, env, error] of badConfigs) {
  t.test(`bad configuration ${name}: a clear error and a non-zero exit, before listening`, async (t) => {
    const service = spawnService(t, env)
    const exit = await service.exited
    t.not(exit.code, 0, `exit code ${String(exit.code)}`)
    t.equal(exit.signal, null)
    t.match(service.stderr, error, 'the error names the setting and the fix')
    t.notMatch(service.output, /Server listening/, 'it never listened')
  })
}

t.test('PULSAR_URL where no broker listens: "Failed to connect to Pulsar at …" and a non-zero exit, before listening', async (t) => {
  const [brokerPort, webPort] = await twoFreePorts()
  const service = spawnService(t, { PULSAR_URL: `pulsar://127.0.0.1:${brokerPort}`, PULSAR_WEB_URL: `http://127.0.0.1:${webPort}` })
  const exit = await service.exited
  t.equal(exit.code, 1)
  // Each driver names what it tried first: the binary port (native) or the admin API (WebSocket).
  const tried = driverUnderTest === 'native' ? `pulsar://127\\.0\\.0\\.1:${brokerPort}` : `http://127\\.0\\.0\\.1:${webPort}: GET /admin/v2/clusters`
  t.match(service.stderr, new RegExp(`\\[PULSAR_CONNECT_FAILED\\]: Failed to connect to Pulsar at ${tried}: connection refused \\(nothing listens on that port\\)\\. Check that the broker is up.*PULSAR_URL`))
  t.notMatch(service.output, /Server listening/, 'it never listened')
})

/** Two ports nothing listens on right now. */
async function twoFreePorts (): Promise<[number, number]> {
  const found: number[] = []
  while (found.length < 2) {
    const port = 40000 + Math.floor(Math.random() * 20000)
    if (!found.includes(port) && await isFree(port)) found.push(port)
  }
  return [found[0]!, found[1]!]
}

function openSocket (port: number): Promise<Socket> {
  const opened = deferred<Socket>()
  const socket = connect({ port, host: '127.0.0.1' }, () => opened.resolve(socket))
  socket.once('error', opened.reject)
  return opened.promise
}
