import type { FaultTally } from './faults.js'
import type { LoadTally } from './load.js'
import type { Verdict } from './ledger.js'
import type { ChaosProfile } from './profile.js'
import type { ExitRecord } from './services.js'

const startedAt = Date.now()

/** A progress line for people: `[chaos +12.3s] …`. */
export function say (line: string): void {
  console.log(`[chaos +${((Date.now() - startedAt) / 1000).toFixed(1)}s] ${line}`)
}

/** What the run found out, filled in as it goes. */
export interface RunFacts {
  profile: ChaosProfile
  load: LoadTally
  orders: number
  faults: FaultTally
  exits: readonly ExitRecord[]
  /**
   * Redeliveries the inboxes absorbed: counted from the services' debug log lines (exact), and
   * as /health reported them (scraped every second and right before each kill: a crashed
   * process's last second is missed). Applied deliveries as /health reported them.
   */
  inbox: { duplicates: number, applied: number, duplicatesLogged: number }
  verdict: Verdict | null
  drainTimedOut: boolean
  deadLettered: number | null
  brokerStartSeconds: number
  drainSeconds: number
  /** Load + faults + drain. */
  seconds: number
  /** Why the run could not finish its checks, when it could not. */
  error: string | null
}

/** The final line: one JSON object, the figures first. */
export function summary (facts: RunFacts): Record<string, unknown> {
  const v = facts.verdict
  const crashes = facts.exits.filter((e) => e.kind === 'crash').length
  return {
    orders: facts.orders,
    kills: facts.faults.kills,
    lost: v?.lost ?? null,
    duplicateEffects: v?.duplicateEffects ?? null,
    outOfOrder: v?.outOfOrder ?? null,
    redelivered: facts.inbox.duplicatesLogged,
    seconds: round(facts.seconds),
    mode: facts.profile.name,
    killsWhileStarting: facts.faults.killsWhileStarting,
    seed: facts.profile.seed,
    confirmed: v?.counts.confirmed ?? null,
    rejected: v?.counts.rejected ?? null,
    cancelled: v?.counts.cancelled ?? null,
    unacknowledgedOrders: v?.counts.unacknowledged ?? null,
    failedRequests: facts.load.failedCreates + facts.load.failedCancels,
    crashes,
    startFailures: facts.exits.length - crashes,
    brokerRestarts: facts.faults.brokerRestarts,
    connectionCuts: facts.faults.connectionCuts,
    databaseOutages: facts.faults.databaseOutages,
    backendsCut: facts.faults.backendsCut,
    pgRestarts: facts.faults.pgRestarts,
    deadLettered: facts.deadLettered,
    events: v?.counts.events ?? null,
    inboxMarks: v?.counts.inboxMarks ?? null,
    redeliveredSeenByHealth: facts.inbox.duplicates,
    appliedSeenByHealth: facts.inbox.applied,
    drainSeconds: round(facts.drainSeconds),
    drainTimedOut: facts.drainTimedOut,
    brokerStartSeconds: round(facts.brokerStartSeconds),
    brokerRestartSeconds: facts.faults.brokerRestartSeconds.map(round),
    ...(facts.error === null ? {} : { error: facts.error })
  }
}

/** Passed: nothing lost, applied twice or out of order, and the checks did run. */
export function passed (facts: RunFacts): boolean {
  const v = facts.verdict
  return facts.error === null && !facts.drainTimedOut && v !== null && v.lost === 0 && v.duplicateEffects === 0 && v.outOfOrder === 0
}

function round (n: number): number {
  return Math.round(n * 10) / 10
}
