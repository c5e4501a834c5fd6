import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'
import { isFree, runBrokerScript, stopWatching, watchForExit } from './broker-scripts.js'

export { isFree } from './broker-scripts.js'

/**
 * A Pulsar broker of a test's own, started and stopped with scripts/pulsar/start.sh and stop.sh:
 * for tests that stop the broker, or need token authentication or TLS, and so must never touch
 * the shared default instance (pulsar://127.0.0.1:6650). Each instance gets a unique name, free
 * ports chosen now, and a data folder under a temporary directory.
 *
 *   const broker = await startPulsarInstance({ name: 'outage' })
 *   … broker.serviceUrl, broker.webUrl …
 *   await broker.stop({ keepData: true })   // a broker outage
 *   await broker.start()                    // back, on the same data
 *   await broker.destroy()                  // stopped, data deleted
 *
 * In tap, testPulsarInstance(t, options) does the destroy() in t.teardown. A watcher process
 * stops the broker if this process dies without destroy() (a tap timeout kills it), since the
 * broker runs in a session of its own and would outlive us.
 */

export interface PulsarInstanceOptions {
  /** Start of the instance name; a unique suffix is added. Default "test". */
  readonly name?: string
  /** Token authentication on: the raw HS256 secret (at least 32 bytes). */
  readonly authSecretFile?: string
  /** TLS ports on: the server certificate, its PKCS#8 key, and the CA that signed it (make-test-cert.sh). */
  readonly tls?: { readonly certFile: string, readonly keyFile: string, readonly trustFile: string }
  /** More settings for the scripts, e.g. { PULSAR_HEAP: '256m' } (scripts/pulsar/README.md). */
  readonly env?: Readonly<Record<string, string>>
}

export interface PulsarInstancePorts {
  readonly broker: number
  readonly web: number
  /** Derived by instance.sh: broker − 6650 + 3181. */
  readonly bookie: number
  /** Derived by instance.sh: broker + 1 and web − 8080 + 8443; null without TLS. */
  readonly brokerTls: number | null
  readonly webTls: number | null
}

export interface StopOptions {
  /** Keep the data folder, so that start() brings the same topics, subscriptions and messages back. */
  readonly keepData?: boolean
}

const SCRIPTS = fileURLToPath(new URL('../../scripts/pulsar/', import.meta.url))

/** The scripts' variables that say which instance and what kind: set only from our options. */
const INSTANCE_VARIABLES = new Set([
  'PULSAR_INSTANCE', 'PULSAR_DATA_DIR', 'PULSAR_BROKER_PORT', 'PULSAR_WEB_PORT', 'PULSAR_BOOKIE_PORT',
  'PULSAR_BROKER_TLS_PORT', 'PULSAR_WEB_TLS_PORT', 'PULSAR_AUTH_SECRET_FILE', 'PULSAR_SUPERUSER_ROLE',
  'PULSAR_AUTHORIZATION', 'PULSAR_TLS_CERT_FILE', 'PULSAR_TLS_KEY_FILE', 'PULSAR_TLS_TRUST_FILE',
  'PULSAR_FRESH', 'PULSAR_KEEP_DATA'
])

export class PulsarInstance {
  readonly name: string
  readonly ports: PulsarInstancePorts
  /** Where the broker keeps its metadata, ledgers and logs (logs/pulsar.log). */
  readonly dataDir: string
  readonly #home: string
  readonly #options: PulsarInstanceOptions
  #watcherPid: number | null = null
  #running = false
  #destroyed = false

  private constructor (name: string, home: string, ports: PulsarInstancePorts, options: PulsarInstanceOptions) {
    this.name = name
    this.#home = home
    this.dataDir = join(home, 'data')
    this.ports = ports
    this.#options = options
  }

  /** Picks a name and free ports, and a home under the system's temporary directory; starts nothing. */
  static async create (options: PulsarInstanceOptions = {}): Promise<PulsarInstance> {
    const name = `${options.name ?? 'test'}-${process.pid}-${randomBytes(3).toString('hex')}`
    const home = await mkdtemp(join(tmpdir(), 'fo-pulsar-'))
    return new PulsarInstance(name, home, await freePorts(options.tls !== undefined), options)
  }

  get running (): boolean {
    return this.#running
  }

  get serviceUrl (): string { return `pulsar://127.0.0.1:${this.ports.broker}` }
  get webUrl (): string { return `http://127.0.0.1:${this.ports.web}` }
  /** pulsar+ssl:// address, or null without TLS. */
  get serviceUrlTls (): string | null { return this.ports.brokerTls === null ? null : `pulsar+ssl://127.0.0.1:${this.ports.brokerTls}` }
  /** https:// web address, or null without TLS. */
  get webUrlTls (): string | null { return this.ports.webTls === null ? null : `https://127.0.0.1:${this.ports.webTls}` }

  /** The token start.sh signed for the broker's superuser role, when authentication is on. */
  async superuserToken (): Promise<string | null> {
    if (this.#options.authSecretFile === undefined) return null
    return (await readFile(join(this.dataDir, 'superuser.token'), 'utf8')).trim()
  }

  /**
   * The broker setting (PULSAR_SETTINGS) that advertises one more listener besides its own port:
   * Pulsar's multiple advertised listeners. A client that names the listener (the native client's
   * `listenerName`) is sent to `port` by every topic lookup, e.g. a proxy in front of the broker;
   * the broker itself and other clients keep the listener `internal`, its own port. The broker
   * listens only on its own port: what listens on `port` is the caller's business.
   */
  advertisedListenerSettings (listener: { readonly name: string, readonly port: number }): string {
    return `advertisedListeners=internal:${this.serviceUrl},${listener.name}:pulsar://127.0.0.1:${listener.port} internalListenerName=internal`
  }

  /**
   * Starts the broker and resolves once start.sh found it healthy (10–45 s on a busy 2-core box).
   * The first start wipes leftovers (PULSAR_FRESH=1); later ones reuse the data a stop kept.
   * `env`: settings for this start on top of the options' (e.g. PULSAR_SETTINGS that name a port
   * known only now). Resolves with the seconds it took.
   */
  async start (env: Readonly<Record<string, string>> = {}): Promise<number> {
    if (this.#destroyed) throw new Error(`Pulsar instance ${this.name} was destroyed`)
    const fresh = this.#watcherPid === null
    this.#watcherPid ??= this.#watch()
    const started = Date.now()
    await this.#script('start.sh', { ...env, ...(fresh ? { PULSAR_FRESH: '1' } : {}) })
    this.#running = true
    return (Date.now() - started) / 1000
  }

  /** Stops the broker (TERM, then KILL after 30 s); deletes its data unless keepData. Resolves with the seconds it took. */
  async stop (options: StopOptions = {}): Promise<number> {
    const started = Date.now()
    await this.#script('stop.sh', options.keepData === true ? { PULSAR_KEEP_DATA: '1' } : {})
    this.#running = false
    return (Date.now() - started) / 1000
  }

  /** Stops the broker, deletes its data and home, ends the watcher. Idempotent; never throws. */
  async destroy (): Promise<void> {
    if (this.#destroyed) return
    this.#destroyed = true
    await this.stop().catch((err: unknown) => { console.error(`# stopping Pulsar instance ${this.name} failed: ${(err as Error).message}`) })
    await rm(this.#home, { recursive: true, force: true })
    if (this.#watcherPid !== null) stopWatching(this.#watcherPid)
  }

  /**
   * The scripts' settings for this instance. Tuning from our environment (PULSAR_HEAP,
   * PULSAR_START_TIMEOUT, PULSAR_CACHE_DIR…) passes through; what names or shapes an instance
   * (PULSAR_INSTANCE, ports, security, PULSAR_KEEP_DATA…) is only ever ours.
   */
  #env (extra: Record<string, string>): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {}
    for (const [key, value] of Object.entries(process.env)) {
      if (!INSTANCE_VARIABLES.has(key)) env[key] = value
    }
    const { tls, authSecretFile } = this.#options
    return {
      ...env,
      PULSAR_INSTANCE: this.name,
      PULSAR_DATA_DIR: this.dataDir,
      PULSAR_BROKER_PORT: String(this.ports.broker),
      PULSAR_WEB_PORT: String(this.ports.web),
      ...(authSecretFile === undefined ? {} : { PULSAR_AUTH_SECRET_FILE: authSecretFile }),
      ...(tls === undefined ? {} : { PULSAR_TLS_CERT_FILE: tls.certFile, PULSAR_TLS_KEY_FILE: tls.keyFile, PULSAR_TLS_TRUST_FILE: tls.trustFile }),
      ...this.#options.env,
      ...extra
    }
  }

  async #script (script: string, extra: Record<string, string>): Promise<void> {
    await runBrokerScript(join(SCRIPTS, script), this.#env(extra), `${script} of Pulsar instance ${this.name}`)
  }

  #watch (): number {
    return watchForExit(join(SCRIPTS, 'stop.sh'), this.#home, this.#env({}), 'watch-pulsar')
  }
}

/** A started instance, destroyed when the test ends (also when it fails). */
export async function testPulsarInstance (t: Test, options: PulsarInstanceOptions = {}): Promise<PulsarInstance> {
  const instance = await PulsarInstance.create(options)
  t.teardown(async () => await instance.destroy())
  await instance.start()
  return instance
}

/** A started instance; call destroy() when done. */
export async function startPulsarInstance (options: PulsarInstanceOptions = {}): Promise<PulsarInstance> {
  const instance = await PulsarInstance.create(options)
  try {
    await instance.start()
  } catch (err) {
    await instance.destroy()
    throw err
  }
  return instance
}

/**
 * Broker and web ports whose derived ports (bookie, TLS) are free too. Broker ports come from
 * 12000–19999 and web ports from 20000–27999: below Linux's ephemeral range (32768+), so a
 * client socket cannot take one between a stop and the next start, and the derived bookie
 * (8531–16530) and TLS web ports (20363–28362) stay valid.
 */
async function freePorts (tls: boolean): Promise<PulsarInstancePorts> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const broker = 12000 + Math.floor(Math.random() * 8000)
    const web = 20000 + Math.floor(Math.random() * 8000)
    const ports: PulsarInstancePorts = {
      broker,
      web,
      bookie: broker - 6650 + 3181,
      brokerTls: tls ? broker + 1 : null,
      webTls: tls ? web - 8080 + 8443 : null
    }
    const wanted = [ports.broker, ports.web, ports.bookie, ports.brokerTls, ports.webTls].filter((port): port is number => port !== null)
    if (new Set(wanted).size !== wanted.length) continue
    if ((await Promise.all(wanted.map(isFree))).every(Boolean)) return ports
  }
  throw new Error('found no free set of ports for a Pulsar instance in 50 tries')
}
