import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { isFree, runBrokerScript, stopWatching, watchForExit } from './broker-scripts.js'

/**
 * A Kafka node of a test's own, started and stopped with scripts/kafka/start.sh and stop.sh: for
 * tests that stop the broker, and so must never touch the shared one (127.0.0.1:9092). A unique
 * name, free ports chosen now, a data folder under a temporary directory.
 *
 *   const broker = await testKafkaInstance(t)   // started; destroyed when the test ends
 *   … broker.brokers …
 *   await broker.stop({ keepData: true })       // an outage
 *   await broker.start()                        // back, on the same data
 */
export class KafkaInstance {
  readonly name: string
  /** The client port; the controller listens on the next one. */
  readonly port: number
  readonly dataDir: string
  readonly #home: string
  #watcherPid: number | null = null
  #destroyed = false

  private constructor (name: string, home: string, port: number) {
    this.name = name
    this.#home = home
    this.dataDir = join(home, 'data')
    this.port = port
  }

  static async create (name = 'test'): Promise<KafkaInstance> {
    const home = await mkdtemp(join(tmpdir(), 'fo-kafka-'))
    return new KafkaInstance(`${name}-${process.pid}-${randomBytes(3).toString('hex')}`, home, await freePortPair())
  }

  /** `host:port` for KAFKA_BROKERS / the bus's brokers option. */
  get brokers (): string {
    return `127.0.0.1:${this.port}`
  }

  /** Starts the node; resolves once start.sh saw a round trip through a consumer group. Resolves with the seconds it took. */
  async start (): Promise<number> {
    if (this.#destroyed) throw new Error(`Kafka instance ${this.name} was destroyed`)
    this.#watcherPid ??= watchForExit(join(SCRIPTS, 'stop.sh'), this.#home, this.#env({}), 'watch-kafka')
    const started = Date.now()
    await runBrokerScript(join(SCRIPTS, 'start.sh'), this.#env({}), `start.sh of Kafka instance ${this.name}`)
    return (Date.now() - started) / 1000
  }

  /** Stops the node (TERM, then KILL after 30 s); deletes its data unless keepData. */
  async stop (options: { keepData?: boolean } = {}): Promise<void> {
    await runBrokerScript(join(SCRIPTS, 'stop.sh'), this.#env(options.keepData === true ? { KAFKA_KEEP_DATA: '1' } : {}), `stop.sh of Kafka instance ${this.name}`)
  }

  /** Stops the node, deletes its home, ends the watcher. Idempotent; never throws. */
  async destroy (): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    await this.stop().catch((err: unknown) => { console.error(`# stopping Kafka instance ${this.name} failed: ${(err as Error).message}`) })
    await rm(this.#home, { recursive: true, force: true })
    if (this.#watcherPid !== null) stopWatching(this.#watcherPid)
  }

  /** Tuning from our environment (KAFKA_HEAP, KAFKA_START_TIMEOUT…) passes through; what names an instance is ours. */
  #env (extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {}
    for (const [key, value] of Object.entries(process.env)) {
      if (!INSTANCE_VARIABLES.has(key)) env[key] = value
    }
    return { ...env, KAFKA_INSTANCE: this.name, KAFKA_DATA_DIR: this.dataDir, KAFKA_PORT: String(this.port), ...extra }
  }
}

const SCRIPTS = fileURLToPath(new URL('../../scripts/kafka/', import.meta.url))

const INSTANCE_VARIABLES = new Set(['KAFKA_INSTANCE', 'KAFKA_DATA_DIR', 'KAFKA_PORT', 'KAFKA_CONTROLLER_PORT', 'KAFKA_FRESH', 'KAFKA_KEEP_DATA'])

/** A started instance, destroyed when the test ends (also when it fails). */
export async function testKafkaInstance (t: Test, name?: string): Promise<KafkaInstance> {
  const instance = await KafkaInstance.create(name)
  t.teardown(async () => await instance.destroy())
  await instance.start()
  return instance
}

/**
 * A client port whose next port (the controller's) is free too, from 12000–27999: below Linux's
 * ephemeral range, so no client socket takes it between a stop and the next start.
 */
async function freePortPair (): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 12000 + Math.floor(Math.random() * 16000)
    if (await isFree(port) && await isFree(port + 1)) return port
  }
  throw new Error('found no two free neighbouring ports for a Kafka instance in 50 tries')
}
