import { createServer, connect, type Server, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { FaultProxy } from '../../scripts/chaos/fault-proxy.js'
import { deferred } from '../support/wait.js'

/** The chaos run's network faults, on an echo server behind the proxy. */

async function echoServer (t: Test): Promise<number> {
  const sockets = new Set<Socket>()
  const server: Server = createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('data', (chunk) => socket.write(chunk))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  t.teardown(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return (server.address() as { port: number }).port
}

async function proxied (t: Test): Promise<{ proxy: FaultProxy, client: Socket, received: () => string, closed: Promise<string> }> {
  const proxy = await FaultProxy.start('echo', { host: '127.0.0.1', port: await echoServer(t) })
  t.teardown(async () => await proxy.close())
  const client = connect(proxy.port, '127.0.0.1')
  let received = ''
  const closed = deferred<string>()
  client.on('data', (chunk) => { received += chunk.toString() })
  client.on('error', (err: Error & { code?: string }) => closed.resolve(err.code ?? err.message))
  client.on('close', () => closed.resolve('closed'))
  await new Promise<void>((resolve) => client.once('connect', () => resolve()))
  t.teardown(() => { client.destroy() })
  return { proxy, client, received: () => received, closed: closed.promise }
}

async function until (condition: () => boolean, timeoutMs = 5000): Promise<number> {
  const started = performance.now()
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return performance.now() - started
}

t.test('passes bytes both ways, in order; added latency delays each direction', async (t) => {
  const { proxy, client, received } = await proxied(t)
  client.write('abc')
  t.ok(await until(() => received() === 'abc') < 100, 'no latency: the echo comes back at once')
  proxy.setLatency(150, 50)
  const started = performance.now()
  for (const part of ['1', '2', '3', '4', '5']) client.write(part)
  await until(() => received() === 'abc12345')
  t.ok(performance.now() - started >= 200, `two crossings of at least 100 ms each (${Math.round(performance.now() - started)} ms)`)
  t.equal(received(), 'abc12345', 'jitter never reorders the stream')
})

t.test('reset ends open connections with ECONNRESET', async (t) => {
  const { proxy, closed } = await proxied(t)
  t.equal(proxy.resetAll(), 1)
  t.equal(await closed, 'ECONNRESET')
})

t.test('drop closes open connections without an error', async (t) => {
  const { proxy, closed } = await proxied(t)
  t.equal(proxy.dropAll(), 1)
  t.equal(await closed, 'closed')
})

t.test('a partition passes nothing on open or new connections until it heals; then what was held flows on', async (t) => {
  const { proxy, client, received } = await proxied(t)
  proxy.partition()
  client.write('held')
  const late = connect(proxy.port, '127.0.0.1')
  t.teardown(() => { late.destroy() })
  let lateReceived = ''
  late.on('data', (chunk) => { lateReceived += chunk.toString() })
  late.write('new')
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.equal(received(), '', 'nothing came back through the partition')
  t.equal(lateReceived, '', 'a connection made during it is held too')
  proxy.heal()
  await until(() => received() === 'held' && lateReceived === 'new')
  t.equal(received(), 'held', 'what waited in the partition flowed after the heal')
  t.equal(lateReceived, 'new', 'and so did the connection made during it')
})
