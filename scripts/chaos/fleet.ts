import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { isFree } from '../../test/support/pulsar-instance.js'
import type { ChaosProfile } from './profile.js'
import { ServiceInstance, type ExitRecord } from './services.js'
import type { ServiceLinks } from './network-faults.js'
import type { ChaosTransport } from './transports.js'

export interface FleetSettings {
  readonly runDir: string
  readonly profile: ChaosProfile
  readonly transport: ChaosTransport
  readonly databaseUrl: string
  /** With --network-faults: the proxied URLs the services use instead of the broker's and the database's own. */
  readonly links?: ServiceLinks
  readonly say: (line: string) => void
}

export interface LogFacts {
  /** Processes that killed themselves at an armed fault point, and what they held there then. */
  faultPointsReached: number
  heldAtFaultPoints: number
  /** The Pulsar drivers the processes said they connect with. */
  drivers: string[]
}

/** How often /health is scraped for the inbox counters while the run goes on. */
const SCRAPE_MS = 1000

/** The two demo instances, both relaying and consuming, on their own loopback ports. */
export class Fleet {
  readonly instances: ServiceInstance[]
  readonly exits: ExitRecord[] = []
  readonly #scraper: NodeJS.Timeout

  constructor (instances: (onExit: (record: ExitRecord) => void) => ServiceInstance[], say: (line: string) => void) {
    this.instances = instances((record) => {
      this.exits.push(record)
      say(`${record.instance}: ${record.kind === 'crash' ? 'CRASHED' : 'failed to start'} (exit ${record.code ?? record.signal}); restarting it` +
        (record.reason === null ? '' : `; last error line: ${record.reason.slice(0, 200)}`))
    })
    for (const instance of this.instances) instance.start()
    this.#scraper = setInterval(() => { void this.scrape() }, SCRAPE_MS)
  }

  /** Resolves when every instance answers /health as ready. */
  async ready (timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (this.instances.some((i) => i.state !== 'ready')) {
      if (Date.now() > deadline) throw new Error(`the services were not ready within ${timeoutMs / 1000} s; see the logs in the run folder`)
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }

  /** URLs of the ready instances; all of them when none is ready. */
  targets (): string[] {
    const ready = this.instances.filter((i) => i.state === 'ready')
    return (ready.length > 0 ? ready : this.instances).map((i) => i.url)
  }

  async scrape (): Promise<void> {
    await Promise.all(this.instances.map(async (i) => await i.scrape()))
  }

  /** Inbox counters summed over every process of every instance. */
  inbox (): { duplicates: number, applied: number } {
    return this.instances.reduce((sum, i) => ({ duplicates: sum.duplicates + i.inbox.duplicates, applied: sum.applied + i.inbox.applied }), { duplicates: 0, applied: 0 })
  }

  /**
   * Duplicate deliveries the inboxes logged ("Duplicate delivery acknowledged", at debug):
   * exact, because pino writes each line to the log file before going on, so a kill -9 loses none.
   */
  async duplicatesLogged (): Promise<number> {
    let total = 0
    for (const instance of this.instances) {
      const text = await readFile(instance.logFile, 'utf8').catch(() => '')
      total += text.split('"msg":"Duplicate delivery acknowledged').length - 1
    }
    return total
  }

  /** What every process of the run logged about its faults and its transport. */
  async logFacts (): Promise<LogFacts> {
    const facts: LogFacts = { faultPointsReached: 0, heldAtFaultPoints: 0, drivers: [] }
    const drivers = new Set<string>()
    for (const instance of this.instances) {
      const text = await readFile(instance.logFile, 'utf8').catch(() => '')
      for (const match of text.matchAll(/"held":(\d+),"msg":"chaos: fault point reached/g)) {
        facts.faultPointsReached++
        facts.heldAtFaultPoints += Number(match[1])
      }
      for (const match of text.matchAll(/connecting with the (\w+) driver/g)) drivers.add(match[1]!)
    }
    facts.drivers = [...drivers].sort()
    return facts
  }

  /** Graceful stop (SIGTERM) of both; no restarts afterwards. */
  async stop (): Promise<void> {
    clearInterval(this.#scraper)
    await Promise.all(this.instances.map(async (i) => await i.stop()))
  }
}

export async function startFleet (settings: FleetSettings): Promise<Fleet> {
  const { runDir, profile, transport, databaseUrl, links, say } = settings
  const common = {
    DATABASE_URL: links?.databaseUrl ?? databaseUrl,
    ...transport.serviceEnv(),
    ...(links === undefined ? {} : { PULSAR_URL: links.pulsarServiceUrl, PULSAR_WEB_URL: links.pulsarWebUrl, PULSAR_LISTENER_NAME: links.pulsarListenerName }),
    // Debug: the inbox logs each duplicate delivery it absorbs at debug; the run counts those lines.
    LOG_LEVEL: 'debug',
    OUTBOX_PROJECTOR: 'true',
    OUTBOX_LEASE_MS: String(profile.leaseMs),
    OUTBOX_POLL_MS: String(profile.pollMs),
    ...(transport.bus === 'pulsar' ? { PULSAR_DRIVER: profile.driver } : {})
  }
  const ports = await freePorts(2)
  return new Fleet((onExit) => INSTANCES.map((name, i) => {
    const env = { ...common, CHAOS_INSTANCE: name, CHAOS_RECEIPTS_FILE: receiptsFile(runDir, name) }
    return new ServiceInstance(name, ports[i]!, join(runDir, `service-${name}.log`), env, onExit)
  }), say)
}

export const INSTANCES = ['a', 'b'] as const

/** Where an instance's processes append the deliveries they receive (instance/receipts.ts). */
export function receiptsFile (runDir: string, instance: string): string {
  return join(runDir, `receipts-${instance}.jsonl`)
}

/**
 * Ports for the services, from 28500–32499: below Linux's ephemeral range (32768+), so that the
 * load's client sockets cannot take a killed instance's port before it restarts, and above the
 * ones PulsarInstance picks for brokers.
 */
async function freePorts (n: number): Promise<number[]> {
  const ports: number[] = []
  while (ports.length < n) {
    const port = 28_500 + Math.floor(Math.random() * 4000)
    if (!ports.includes(port) && await isFree(port)) ports.push(port)
  }
  return ports
}
