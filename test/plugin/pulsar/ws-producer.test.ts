import { createServer } from 'node:net'
import t from 'tap'
import { WebSocketProducer } from '../../../plugin/pulsar/websocket/ws-producer.js'
import { silentLogger } from '../../../plugin/logger.js'

/** A local port with nothing listening on it: every connection attempt is refused at once. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

t.test('close() cuts short a send waiting out a long reconnect backoff', async (t) => {
  const topic = 'persistent://public/default/ws-producer-close'
  const producer = new WebSocketProducer(topic, {
    target: { url: `ws://127.0.0.1:${await closedPort()}/ws/v2/producer/persistent/public/default/ws-producer-close`, topic, token: null, tls: null, timeoutMs: 2000 },
    // The backoff after the first refusal (30 to 60 s) fits in the send timeout, so the next send waits it out.
    sendTimeoutMs: 120_000,
    backoff: { initialMs: 60_000, maxMs: 60_000 },
    maxPendingMessages: 10,
    maxMessageSize: 1024 * 1024,
    maxFrameSize: 1024 * 1024,
    keepAliveMs: 30_000,
    logger: silentLogger
  })
  const message = { bytes: new Uint8Array([1]), properties: {}, key: null }
  await t.rejects(producer.send(message), { code: 'PULSAR_CONNECT_FAILED' }, 'the first send finds nothing listening')
  const waiting = producer.send(message)
  waiting.catch(() => {})
  await new Promise((resolve) => setTimeout(resolve, 100))
  const started = performance.now()
  await producer.close()
  const closeMs = performance.now() - started
  t.ok(closeMs < 10_000, `close() did not sit out the backoff (${Math.round(closeMs)} ms)`)
  await t.rejects(waiting, { code: 'OUTBOX_BUS_STOPPED' }, 'the waiting send fails as stopped, not sent')
})
