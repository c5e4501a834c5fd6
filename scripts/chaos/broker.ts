import { randomBytes } from 'node:crypto'
import { copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pulsarAdmin, type PulsarAdmin } from 'fastify-outbox/pulsar'
import { PulsarInstance } from '../../test/support/pulsar-instance.js'

/**
 * The chaos run's own Pulsar standalone: a PulsarInstance (test/support/pulsar-instance.ts:
 * scripts/pulsar/*.sh with a unique name, free ports chosen now including the derived bookie
 * port, fresh data, and a watcher that stops the broker if this process dies without cleaning
 * up). The shared default instance (6650/8080) is never touched.
 *
 * The JVM runs with C1 only (-XX:TieredStopAtLevel=1): a start then takes about half the time
 * (21 s instead of 37–46 s wall on this 2-core machine at load 8; see scripts/pulsar/README.md),
 * and the chaos load is far below what the C2 compiler would help with.
 */
export class ChaosBroker {
  readonly #instance: PulsarInstance
  /** Settings of every start (the first and each restart's), set by advertiseListener(). */
  #startEnv: Record<string, string> = {}

  private constructor (instance: PulsarInstance) {
    this.#instance = instance
  }

  /** Picks the name and the ports; starts nothing. `stopTimeout`: seconds from TERM to KILL on a stop. */
  static async prepare (stopTimeout: number): Promise<ChaosBroker> {
    const env = { PULSAR_JAVA_OPTS: '-XX:TieredStopAtLevel=1', PULSAR_STOP_TIMEOUT: String(stopTimeout) }
    return new ChaosBroker(await PulsarInstance.create({ name: 'chaos', env }))
  }

  get name (): string {
    return this.#instance.name
  }

  get ports (): string {
    const { broker, web, bookie } = this.#instance.ports
    return `pulsar ${broker}, web ${web}, bookie ${bookie}`
  }

  get serviceUrl (): string {
    return this.#instance.serviceUrl
  }

  get webUrl (): string {
    return this.#instance.webUrl
  }

  /**
   * From the next start on, the broker advertises a second listener, `name`, at `port` on
   * loopback (a fault proxy in front of its binary port): the native client, told that listener's
   * name, is then sent to the proxy by every topic lookup instead of to the broker's own port.
   */
  advertiseListener (name: string, port: number): void {
    this.#startEnv = { PULSAR_SETTINGS: this.#instance.advertisedListenerSettings({ name, port }) }
  }

  admin (): PulsarAdmin {
    return pulsarAdmin({ serviceUrl: this.serviceUrl, webServiceUrl: this.webUrl }, { timeoutMs: 10_000 })
  }

  /** Starts on empty data; resolves with the seconds it took. */
  async start (): Promise<number> {
    return await this.#instance.start(this.#startEnv)
  }

  /** What restart.sh does: stop (TERM, data kept), then start on the same data. Resolves with the seconds it took. */
  async restart (): Promise<number> {
    const stopped = await this.#instance.stop({ keepData: true })
    return stopped + await this.#instance.start(this.#startEnv)
  }

  /** Stops the broker and deletes its data. Idempotent. */
  async destroy (): Promise<void> {
    await this.#instance.destroy()
  }

  /** Copies the broker's log into `folder` (before destroy() deletes it), for a failed run. */
  async keepLogs (folder: string): Promise<void> {
    await copyFile(join(this.#instance.dataDir, 'logs', 'pulsar.log'), join(folder, 'pulsar.log')).catch(() => {})
  }
}

/** A random run id: lower-case hex, fit for database and namespace names. */
export function newRunId (): string {
  return randomBytes(4).toString('hex')
}
