import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { freePort } from './processes.js'
import { ServerProcess } from './server-process.js'

/**
 * A redis-server of a test's own (the machine's binary), for tests that stop the server and so
 * must never touch the shared one (127.0.0.1:6379): a free port, its data in a temporary folder,
 * the append-only file on so that a stop and a start keep the streams, groups and pending entries.
 *
 *   const server = await testRedisInstance(t)   // started; stopped and removed when the test ends
 *   await server.stop()                          // an outage (data kept)
 *   await server.start()                         // back, on the same data
 */
export class RedisInstance {
  readonly port: number
  readonly dir: string
  readonly #server: ServerProcess

  private constructor (port: number, dir: string) {
    this.port = port
    this.dir = dir
    this.#server = new ServerProcess(process.env.REDIS_SERVER ?? 'redis-server', [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--protected-mode', 'no'
    ])
  }

  static async create (): Promise<RedisInstance> {
    return new RedisInstance(await freePort(), await mkdtemp(join(tmpdir(), 'fo-redis-')))
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Starts the server; resolves once it answers PING. */
  async start (): Promise<void> {
    await this.#server.start(async () => await answersPing(this.port), `port ${this.port}; install it: apt-get install redis-server, or set REDIS_SERVER`)
  }

  /** Stops the server (SIGTERM: it writes its append-only file and exits); data kept. */
  async stop (): Promise<void> {
    await this.#server.stop()
  }

  async destroy (): Promise<void> {
    await this.stop()
    await rm(this.dir, { recursive: true, force: true })
  }
}

/** A started instance, destroyed when the test ends (also when it fails). */
export async function testRedisInstance (t: Test): Promise<RedisInstance> {
  const instance = await RedisInstance.create()
  t.teardown(async () => await instance.destroy())
  await instance.start()
  return instance
}

function answersPing (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')))
  })
}
