import { abortableDelay } from './abortable-delay.js'
import type { ChaosTransport } from './transports.js'
import { restartPostgresServer, type ChaosDatabase } from './database.js'
import type { Random } from './random.js'
import type { ServiceInstance } from './services.js'
import type { FaultPoint } from './instance/fault-points.js'
import type { KillPlan } from './profile.js'

export interface FaultPlan {
  /** The faults are spread over this many seconds from the start of the load. */
  readonly windowSeconds: number
  /** The kills, in order (kill -9 or at a fault point). */
  readonly kills: readonly KillPlan[]
  /** What an armed fault point holds at most (publishes, deliveries) and how long. */
  readonly faultPointHold: { readonly projector: number, readonly consumer: number, readonly ms: number }
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
  /** Instances killed, whichever way. */
  kills: number
  /** Kills of an instance that was still starting (e.g. waiting for the broker to come back). */
  killsWhileStarting: number
  /** Kills at an armed fault point, by point, that fired (the process reached the point). */
  faultPointKills: Record<FaultPoint, number>
  /** Fault points armed that saw no traffic in time: the instance was killed with kill -9 instead. */
  faultPointsUnfired: number
  /** Planned kills that found no instance to kill before the run's faults ended. */
  killsSkipped: number
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
  readonly broker: Pick<ChaosTransport, 'restart'>
  readonly database: ChaosDatabase
  readonly random: Random
  readonly say: (line: string) => void
}

/** How long a kill -9 waits for a serving instance before it takes one still starting. */
const KILL_WAIT_FOR_SERVING_MS = 8000
/** How long an armed fault point may wait for traffic (once the broker is up) before its instance is killed anyway. */
const FAULT_POINT_TIMEOUT_MS = 15_000

export function blankTally (): FaultTally {
  return {
    kills: 0,
    killsWhileStarting: 0,
    faultPointKills: { 'projector-after-publish': 0, 'consumer-before-ack': 0 },
    faultPointsUnfired: 0,
    killsSkipped: 0,
    brokerRestarts: 0,
    brokerRestartSeconds: [],
    connectionCuts: 0,
    databaseOutages: 0,
    backendsCut: 0,
    pgRestarts: 0
  }
}

/**
 * Injects the faults while the load runs, on three timelines at once (a broker restart takes
 * 20–45 s here, and kills go on meanwhile):
 * - kills, one after another, never of the last instance standing, each followed by the
 *   instance's restart after a short pause: kill -9 of a random instance at a moment, or an
 *   instance armed at a fault point (it kills itself there, or is killed after 15 s without
 *   traffic); a projector armed while the broker restarts meets the whole backlog when it is back;
 * - broker stop and restart on the same data (restart.sh), early enough to be back before the
 *   load ends;
 * - pg_terminate_backend of the service's connections, and, opt-in, a PostgreSQL restart.
 */
export class FaultInjector {
  readonly tally: FaultTally = blankTally()
  readonly #plan: FaultPlan
  readonly #targets: FaultTargets
  readonly #brokerDown: Promise<void>
  #brokerIsDown: () => void = () => {}
  readonly #brokerBack: Promise<void>
  #brokerIsBack: () => void = () => {}
  #started = Date.now()

  constructor (plan: FaultPlan, targets: FaultTargets) {
    this.#plan = plan
    this.#targets = targets
    this.#brokerDown = new Promise((resolve) => { this.#brokerIsDown = resolve })
    this.#brokerBack = new Promise((resolve) => { this.#brokerIsBack = resolve })
    if (plan.brokerRestartsAt.length === 0) {
      this.#brokerIsDown()
      this.#brokerIsBack()
    }
  }

  async run (signal: AbortSignal): Promise<void> {
    this.#started = Date.now()
    const started = this.#started
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
    for (const [i, kill] of this.#plan.kills.entries()) {
      // Fixed moments, each moved by up to 2% of the window, so that seeds differ. Armed while
      // the broker restarts, a projector's fault point meets the backlog in full batches when it is back.
      const duringRestart = kill.at === 'during-broker-restart'
      const ready = duringRestart
        ? await Promise.race([this.#brokerDown.then(async () => await abortableDelay(2000, signal)), at(1)])
        : await at(kill.at + (random.next() - 0.5) * 0.04)
      if (!ready || signal.aborted) break
      const victim = await this.#victim(kill.how !== 'kill-9', signal)
      if (victim === null) {
        this.tally.killsSkipped++
        say(`kill ${i + 1}/${this.#plan.kills.length} (${kill.how}) skipped: no instance could be killed before the faults ended`)
        continue
      }
      const state = victim.state
      let how = 'kill -9'
      if (kill.how === 'kill-9') {
        await victim.kill9()
      } else {
        const hold = kill.how === 'projector-after-publish' ? this.#plan.faultPointHold.projector : this.#plan.faultPointHold.consumer
        const traffic = duringRestart ? this.#brokerBack : Promise.resolve()
        const giveUp = traffic.then(async () => await abortableDelay(FAULT_POINT_TIMEOUT_MS, signal))
        const fired = await victim.killAtFaultPoint({ point: kill.how, hold, holdMs: this.#plan.faultPointHold.ms }, giveUp)
        if (fired) this.tally.faultPointKills[kill.how]++
        else this.tally.faultPointsUnfired++
        how = fired ? `killed at fault point ${kill.how}` : `armed at ${kill.how}, no traffic came by: kill -9`
      }
      this.tally.kills++
      if (state !== 'ready') this.tally.killsWhileStarting++
      const pause = random.int(...this.#plan.restartPauseMs)
      say(`${victim.name} ${how} while ${state} (kill ${i + 1}/${this.#plan.kills.length}); restarting it in ${pause} ms; ready: ${instances.filter((x) => x.state === 'ready').map((x) => x.name).join(', ') || 'none'}`)
      restarts.push(new Promise((resolve) => setTimeout(() => { victim.start(); resolve() }, pause)))
    }
    await Promise.all(restarts)
  }

  /**
   * A random instance to kill, never the last one ready (a kill never leaves no instance taking
   * orders). For kill -9: a serving one if there is one within 8 s, else one still starting (a
   * restarted instance is ready only once it reaches the broker: during a broker restart none
   * gets ready). A fault point needs a serving one (it is armed over HTTP), however long that takes.
   */
  async #victim (servingOnly: boolean, signal: AbortSignal): Promise<ServiceInstance | null> {
    const { instances, random } = this.#targets
    const settleFor = Date.now() + KILL_WAIT_FOR_SERVING_MS
    // Past the load window the backlog still flows for a while: a fault point still finds traffic.
    const giveUpAt = this.#started + this.#plan.windowSeconds * 1000 + 30_000
    while (!signal.aborted && Date.now() < giveUpAt) {
      const candidates = instances.filter((i) => i.state !== 'down' && instances.some((peer) => peer !== i && peer.state === 'ready'))
      const serving = candidates.filter((i) => i.state === 'ready')
      if (serving.length > 0) return random.pick(serving)
      if (!servingOnly && candidates.length > 0 && Date.now() > settleFor) return random.pick(candidates)
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
      this.#brokerIsDown()
      const seconds = await broker.restart()
      this.tally.brokerRestarts++
      this.tally.brokerRestartSeconds.push(seconds)
      say(`broker: back after ${seconds.toFixed(1)} s`)
      this.#brokerIsBack()
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
