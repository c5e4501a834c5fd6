import { abortableDelay } from './abortable-delay.js'
import { FaultProxy } from './fault-proxy.js'

/** Where a network fault strikes: the services' links to the broker (both ports) or to PostgreSQL. */
export type NetworkTarget = 'broker' | 'database'

/** One network fault of the plan, at a second of the load window. */
export type NetworkFault =
  | { readonly atSeconds: number, readonly target: NetworkTarget, readonly fault: 'latency', readonly ms: number, readonly jitterMs: number, readonly forSeconds: number }
  | { readonly atSeconds: number, readonly target: NetworkTarget, readonly fault: 'reset' | 'drop' }
  | { readonly atSeconds: number, readonly target: NetworkTarget, readonly fault: 'partition', readonly forSeconds: number }

export interface NetworkTally {
  latencySpells: number
  resets: number
  drops: number
  partitions: number
  partitionSeconds: number[]
  /** Connections ended by resets and drops, over all of them. */
  connectionsBroken: number
}

/** The URLs the services are given instead of the real ones: every byte then crosses a proxy. */
export interface ProxiedUrls {
  readonly pulsarServiceUrl: string
  readonly pulsarWebUrl: string
  readonly databaseUrl: string
}

/**
 * What the services are given: the proxied URLs, and the broker listener that leads to the
 * binary port's proxy. The native client asks the broker where a topic lives and then connects to
 * the address the broker advertises; told this listener's name, it is answered with the proxy's
 * address (the broker advertises it: ChaosBroker.advertiseListener), not the broker's own port.
 */
export interface ServiceLinks extends ProxiedUrls {
  readonly pulsarListenerName: string
}

/** The name of the broker listener whose address is the binary port's proxy. */
export const PROXIED_LISTENER = 'proxied'

/**
 * The network between the services and what they depend on, under the run's control: a fault
 * proxy (fault-proxy.ts) in front of the broker's binary and web ports and one in front of
 * PostgreSQL, and the plan's faults played on them while the load runs. The run's own checks
 * (the ledger, the admin API, the receipts) go around the proxies: they observe, they are not
 * under test.
 */
export class NetworkFaults {
  readonly tally: NetworkTally = { latencySpells: 0, resets: 0, drops: 0, partitions: 0, partitionSeconds: [], connectionsBroken: 0 }
  readonly urls: ServiceLinks
  readonly #proxies: Record<NetworkTarget, FaultProxy[]>

  private constructor (proxies: Record<NetworkTarget, FaultProxy[]>, urls: ServiceLinks) {
    this.#proxies = proxies
    this.urls = urls
  }

  static async start (real: ProxiedUrls): Promise<NetworkFaults> {
    const target = (url: string): { host: string, port: number } => {
      const parsed = new URL(url)
      return { host: parsed.hostname, port: Number(parsed.port) }
    }
    const binary = await FaultProxy.start('pulsar-binary', target(real.pulsarServiceUrl))
    const web = await FaultProxy.start('pulsar-web', target(real.pulsarWebUrl))
    const database = await FaultProxy.start('postgres', target(real.databaseUrl))
    return new NetworkFaults({ broker: [binary, web], database: [database] }, {
      pulsarServiceUrl: binary.rewrite(real.pulsarServiceUrl),
      pulsarWebUrl: web.rewrite(real.pulsarWebUrl),
      databaseUrl: database.rewrite(real.databaseUrl),
      pulsarListenerName: PROXIED_LISTENER
    })
  }

  /** The port of the proxy in front of the broker's binary port: the address of PROXIED_LISTENER. */
  get brokerProxyPort (): number {
    return this.#proxies.broker[0]!.port
  }

  /** Plays the plan from `started` (the load's start); stops early when the run is aborted, healing what it broke. */
  async run (plan: readonly NetworkFault[], started: number, signal: AbortSignal, say: (line: string) => void): Promise<void> {
    const spells: Array<Promise<void>> = []
    for (const step of [...plan].sort((a, b) => a.atSeconds - b.atSeconds)) {
      if (!await abortableDelay(Math.max(0, started + step.atSeconds * 1000 - Date.now()), signal)) break
      const proxies = this.#proxies[step.target]
      switch (step.fault) {
        case 'latency':
          for (const proxy of proxies) proxy.setLatency(step.ms, step.jitterMs)
          this.tally.latencySpells++
          say(`network: ${step.target} links +${step.ms} ± ${step.jitterMs} ms each way for ${step.forSeconds} s`)
          spells.push(abortableDelay(step.forSeconds * 1000, signal).then(() => {
            for (const proxy of proxies) proxy.setLatency(0)
            say(`network: ${step.target} latency back to none`)
          }))
          break
        case 'reset':
        case 'drop': {
          const broken = proxies.reduce((sum, proxy) => sum + (step.fault === 'reset' ? proxy.resetAll() : proxy.dropAll()), 0)
          this.tally.connectionsBroken += broken
          if (step.fault === 'reset') this.tally.resets++
          else this.tally.drops++
          say(`network: ${step.target} connections ${step.fault === 'reset' ? 'reset (RST)' : 'dropped (FIN)'}: ${broken}`)
          break
        }
        case 'partition':
          for (const proxy of proxies) proxy.partition()
          this.tally.partitions++
          say(`network: ${step.target} partitioned for ${step.forSeconds} s (nothing passes either way; open connections held)`)
          spells.push(abortableDelay(step.forSeconds * 1000, signal).then(() => {
            for (const proxy of proxies) proxy.heal()
            this.tally.partitionSeconds.push(step.forSeconds)
            say(`network: ${step.target} partition healed`)
          }))
          break
      }
    }
    await Promise.all(spells)
    this.#healAll()
  }

  async close (): Promise<void> {
    await Promise.all(Object.values(this.#proxies).flat().map(async (proxy) => await proxy.close()))
  }

  #healAll (): void {
    for (const proxy of Object.values(this.#proxies).flat()) {
      proxy.setLatency(0)
      proxy.heal()
    }
  }
}
