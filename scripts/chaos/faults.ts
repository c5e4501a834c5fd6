import { abortableDelay } from '../../plugin/abortable-delay.js'
import type { ChaosBroker } from './broker.js'
import { restartPostgresServer, type ChaosDatabase } from './database.js'
import type { Random } from './random.js'
import type { ServiceInstance } from './services.js'

export interface FaultPlan {
  /** The faults are spread over this many seconds from the start of the load. */
  readonly windowSeconds: number
  readonly kills: number
  /** The kills fall in the first this-much of the window (1: all of it). */
  readonly killsWithin: number
  /** When to restart the broker, as fractions of the window (one restart each). */
  readonly brokerRestartsAt: readonly number[]
  readonly connectionCuts: number
  /** Outages of the run's database (connections refused and cut): when (fraction of the window), how long. */
  readonly databaseOutages: ReadonlyArray<{ readonly at: number, readonly ms: number }>
  /** Restart the whole PostgreSQL server once (opt-in: the server is shared). */
  readonly pgRestart: boolean
  /** Pause between a kill and the restart of the instance, in ms: [min, max]. */
  readonly restartPauseMs: readonly [number, number]
}

export interface FaultTally {
  kills: number
  /** Kills of an instance that was still starting (e.g. waiting for the broker to come back). */
  killsWhileStarting: number
  brokerRestarts: number
  brokerRestartSeconds: number[]
  connectionCuts: number
  databaseOutages: number
  /** Backends pg_terminate_backend ended, over all cuts. */
  backendsCut: number
  pgRestarts: number
}

export interface FaultTargets {
  readonly instances: readonly ServiceInstance[]
  readonly broker: ChaosBroker
  readonly database: ChaosDatabase
  readonly random: Random
  readonly say: (line: string) => void
}

/** How long a kill waits for a serving instance before it takes one still starting. */
const KILL_WAIT_FOR_SERVING_MS = 8000

/**
 * Injects the faults while the load runs, on three timelines at once (a broker restart takes
 * 20–45 s here, and kills go on meanwhile):
 * - kill -9 of a random running instance at random moments, never the last one standing, and
 *   its restart after a short pause;
 * - broker stop and restart on the same data (restart.sh), early enough to be back before the
 *   load ends;
 * - pg_terminate_backend of the service's connections, and, opt-in, a PostgreSQL restart.
 */
export class FaultInjector {
  readonly tally: FaultTally = { kills: 0, killsWhileStarting: 0, brokerRestarts: 0, brokerRestartSeconds: [], connectionCuts: 0, databaseOutages: 0, backendsCut: 0, pgRestarts: 0 }
  readonly #plan: FaultPlan
  readonly #targets: FaultTargets

  constructor (plan: FaultPlan, targets: FaultTargets) {
    this.#plan = plan
    this.#targets = targets
  }

  async run (signal: AbortSignal): Promise<void> {
    const started = Date.now()
    // Waits for that point of the load window; false if the run was aborted first.
    const at = (fraction: number): Promise<boolean> => abortableDelay(Math.max(0, started + fraction * this.#plan.windowSeconds * 1000 - Date.now()), signal)
    await Promise.all([this.#kills(at, signal), this.#brokerRestarts(at), this.#databaseFaults(at)])
  }

  /** Moments spread over the window: one in each of `n` equal slices, at a random point of its middle 70%. */
  #moments (n: number): number[] {
    return Array.from({ length: n }, (_, i) => (i + 0.15 + 0.7 * this.#targets.random.next()) / n)
  }

  async #kills (at: (fraction: number) => Promise<boolean>, signal: AbortSignal): Promise<void> {
    const { random, say, instances } = this.#targets
    const restarts: Array<Promise<void>> = []
    for (const moment of this.#moments(this.#plan.kills).map((m) => m * this.#plan.killsWithin)) {
      if (!await at(moment)) break
      const victim = await this.#victim(signal)
      if (victim === null) break
      const state = victim.state
      await victim.kill9()
      this.tally.kills++
      if (state !== 'ready') this.tally.killsWhileStarting++
      const pause = random.int(...this.#plan.restartPauseMs)
      say(`kill -9 ${victim.name} while ${state} (kill ${this.tally.kills}/${this.#plan.kills}); restarting it in ${pause} ms; ready: ${instances.filter((i) => i.state === 'ready').map((i) => i.name).join(', ') || 'none'}`)
      restarts.push(new Promise((resolve) => setTimeout(() => { victim.start(); resolve() }, pause)))
    }
    await Promise.all(restarts)
  }

  /**
   * A random instance to kill, never the last one ready (a kill never leaves no instance taking
   * orders). A serving one if there is one within 8 s; else one still starting (a restarted
   * instance is ready only once it reaches the broker: during a broker restart none gets ready).
   */
  async #victim (signal: AbortSignal): Promise<ServiceInstance | null> {
    const { instances, random } = this.#targets
    const settleFor = Date.now() + KILL_WAIT_FOR_SERVING_MS
    while (!signal.aborted) {
      const candidates = instances.filter((i) => i.state !== 'down' && instances.some((peer) => peer !== i && peer.state === 'ready'))
      const serving = candidates.filter((i) => i.state === 'ready')
      if (serving.length > 0) return random.pick(serving)
      if (candidates.length > 0 && Date.now() > settleFor) return random.pick(candidates)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    return null
  }

  async #brokerRestarts (at: (fraction: number) => Promise<boolean>): Promise<void> {
    const { broker, say } = this.#targets
    const n = this.#plan.brokerRestartsAt.length
    for (let i = 0; i < n; i++) {
      if (!await at(this.#plan.brokerRestartsAt[i]!)) return
      say(`broker: stop and restart on the same data (restart ${i + 1}/${n})`)
      const seconds = await broker.restart()
      this.tally.brokerRestarts++
      this.tally.brokerRestartSeconds.push(seconds)
      say(`broker: back after ${seconds.toFixed(1)} s`)
    }
  }

  async #databaseFaults (at: (fraction: number) => Promise<boolean>): Promise<void> {
    const { database, say } = this.#targets
    const faults: Array<{ moment: number, run: () => Promise<void> }> = this.#moments(this.#plan.connectionCuts).map((moment) => ({
      moment,
      run: async () => {
        const cut = await database.cutConnections()
        this.tally.connectionCuts++
        this.tally.backendsCut += cut
        say(`postgres: pg_terminate_backend cut ${cut} connections of order-service (cut ${this.tally.connectionCuts}/${this.#plan.connectionCuts})`)
      }
    }))
    for (const { at: moment, ms } of this.#plan.databaseOutages) {
      faults.push({
        moment,
        run: async () => {
          say(`postgres: outage of database ${database.name} for ${(ms / 1000).toFixed(1)} s (connections refused and cut)`)
          const cut = await database.outage(ms)
          this.tally.databaseOutages++
          this.tally.backendsCut += cut
          say(`postgres: database ${database.name} accepts connections again (${cut} were cut)`)
        }
      })
    }
    if (this.#plan.pgRestart) {
      faults.push({
        moment: 0.4,
        run: async () => {
          say('postgres: restarting the server (--pg-restart)')
          const seconds = await restartPostgresServer()
          this.tally.pgRestarts++
          say(`postgres: back after ${seconds.toFixed(1)} s`)
        }
      })
    }
    for (const fault of faults.sort((a, b) => a.moment - b.moment)) {
      if (!await at(fault.moment)) return
      await fault.run()
    }
  }
}
