import { mkdtemp, rm } from 'node:fs/promises'
import { createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { freePort } from './processes.js'
import { ServerProcess } from './server-process.js'

/**
 * A nats-server of a test's own (the machine's binary) with JetStream on, for tests that stop
 * the server and so must never touch the shared one (127.0.0.1:4222): a free port, its
 * JetStream store in a temporary folder, so that a stop and a start keep streams and consumers.
 */
export class NatsInstance {
  readonly port: number
  readonly dir: string
  readonly #server: ServerProcess

  private constructor (port: number, dir: string) {
    this.port = port
    this.dir = dir
    this.#server = new ServerProcess(process.env.NATS_SERVER ?? 'nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir])
  }

  static async create (): Promise<NatsInstance> {
    return new NatsInstance(await freePort(), await mkdtemp(join(tmpdir(), 'fo-nats-')))
  }

  get url (): string {
    return `nats://127.0.0.1:${this.port}`
  }

  /** Starts the server; resolves once it is ready (JetStream recovered) and sends its INFO line. */
  async start (): Promise<void> {
    await this.#server.start(async () => this.#server.output.includes('Server is ready') && await sendsInfo(this.port),
      `port ${this.port}; install it: apt-get install nats-server, or set NATS_SERVER`)
  }

  /** Stops the server (SIGTERM), its store kept. */
  async stop (): Promise<void> {
    await this.#server.stop()
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
