import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createConnection } from 'node:net'
import type { Test } from 'tap'
import { freePort } from './processes.js'

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
  #process: ChildProcess | null = null
  #output = ''

  private constructor (port: number, dir: string) {
    this.port = port
    this.dir = dir
  }

  static async create (): Promise<RedisInstance> {
    return new RedisInstance(await freePort(), await mkdtemp(join(tmpdir(), 'fo-redis-')))
  }

  get url (): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** Starts the server; resolves once it answers PING. */
  async start (): Promise<void> {
    if (this.#process !== null) return
    const child = spawn(process.env.REDIS_SERVER ?? 'redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir,
      '--appendonly', 'yes', '--save', '', '--daemonize', 'no', '--protected-mode', 'no'
    ], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.on('data', (chunk: Buffer) => { this.#output += chunk.toString() })
    child.stderr!.on('data', (chunk: Buffer) => { this.#output += chunk.toString() })
    this.#process = child
    const deadline = Date.now() + 20_000
    while (!await answersPing(this.port)) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`redis-server on port ${this.port} did not start (install it: apt-get install redis-server, or set REDIS_SERVER):\n${this.#output.slice(-2000)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Stops the server (SIGTERM: it writes its append-only file and exits); data kept. */
  async stop (): Promise<void> {
    const child = this.#process
    if (child === null) return
    this.#process = null
    if (child.exitCode !== null) return
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
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
