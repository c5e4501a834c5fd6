import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { freePort } from './processes.js'

/**
 * A nats-server of a test's own (the machine's binary) with JetStream on, for tests that stop
 * the server and so must never touch the shared one (127.0.0.1:4222): a free port, its
 * JetStream store in a temporary folder, so that a stop and a start keep streams and consumers.
 */
export class NatsInstance {
  readonly port: number
  readonly dir: string
  #process: ChildProcess | null = null
  #output = ''

  private constructor (port: number, dir: string) {
    this.port = port
    this.dir = dir
  }

  static async create (): Promise<NatsInstance> {
    return new NatsInstance(await freePort(), await mkdtemp(join(tmpdir(), 'fo-nats-')))
  }

  get url (): string {
    return `nats://127.0.0.1:${this.port}`
  }

  /** Starts the server; resolves once it sends its INFO line. */
  async start (): Promise<void> {
    if (this.#process !== null) return
    const child = spawn(process.env.NATS_SERVER ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    child.stdout!.on('data', (chunk: Buffer) => { this.#output += chunk.toString() })
    child.stderr!.on('data', (chunk: Buffer) => { this.#output += chunk.toString() })
    this.#process = child
    const deadline = Date.now() + 20_000
    while (!await sendsInfo(this.port) || !this.#output.includes('Server is ready')) {
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`nats-server on port ${this.port} did not start (install it: apt-get install nats-server, or set NATS_SERVER):\n${this.#output.slice(-2000)}`)
      }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }

  /** Stops the server (SIGTERM), its store kept. */
  async stop (): Promise<void> {
    const child = this.#process
    if (child === null) return
    this.#process = null
    this.#output = ''
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
export async function testNatsInstance (t: Test): Promise<NatsInstance> {
  const instance = await NatsInstance.create()
  t.teardown(async () => await instance.destroy())
  await instance.start()
  return instance
}

function sendsInfo (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' })
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('data', (data) => done(data.toString().startsWith('INFO')))
  })
}
