import type { FaultTally } from './faults.js'
import type { LoadTally } from './load.js'
import type { Verdict } from './ledger.js'
import type { ChaosProfile } from './profile.js'
import type { ExitRecord } from './services.js'
import type { NetworkTally } from './network-faults.js'
import { soakHeld, type SoakReport } from './soak.js'
import type { LogFacts } from './fleet.js'

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
  logs: LogFacts
  /**
   * Redeliveries the inboxes absorbed: counted from the services' debug log lines (exact), and
   * as /health reported them (scraped every second and right before each kill: a crashed
   * process's last second is missed). Applied deliveries as /health reported them.
   */
  inbox: { duplicates: number, applied: number, duplicatesLogged: number }
  verdict: Verdict | null
  drainTimedOut: boolean
  deadLettered: number | null
  /** What the fault proxies did (--network-faults), or null when the links were direct. */
  network: NetworkTally | null
  /** The soak's samples, summed up (--soak), or null. */
  soak: SoakReport | null
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
    deadLettered: facts.deadLettered,
    seconds: round(facts.seconds),
    mode: facts.profile.name,
    bus: facts.profile.bus,
    ...(facts.profile.bus === 'pulsar' ? { driver: facts.profile.driver, driversSeen: facts.logs.drivers } : {}),
    ...(facts.profile.breakInbox ? { breakInbox: true } : {}),
    faultPointKills: facts.faults.faultPointKills,
    heldAtFaultPoints: facts.logs.heldAtFaultPoints,
    faultPointsUnfired: facts.faults.faultPointsUnfired,
    killsSkipped: facts.faults.killsSkipped,
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
    ...(facts.network === null ? {} : { networkFaults: facts.network }),
    ...(facts.soak === null ? {} : { soak: facts.soak }),
    events: v?.counts.events ?? null,
    inboxMarks: v?.counts.inboxMarks ?? null,
    ledgerRows: v?.counts.ledgerRows ?? null,
    receipts: v?.counts.receipts ?? null,
    receivedAgain: v?.counts.receivedAgain ?? null,
    redeliveredSeenByHealth: facts.inbox.duplicates,
    appliedSeenByHealth: facts.inbox.applied,
    drainSeconds: round(facts.drainSeconds),
    drainTimedOut: facts.drainTimedOut,
    brokerStartSeconds: round(facts.brokerStartSeconds),
    brokerRestartSeconds: facts.faults.brokerRestartSeconds.map(round),
    ...(facts.error === null ? {} : { error: facts.error })
  }
}

/**
 * Passed: nothing lost, applied twice or out of order, nothing dead-lettered (no fault of the
 * plan means to make dead letters), every process on the driver asked for (Pulsar), and the checks did run;
 * a soak also needs its memory flat and every fault's backlog drained.
 */
export function passed (facts: RunFacts): boolean {
  const v = facts.verdict
  return facts.error === null && !facts.drainTimedOut && v !== null && v.lost === 0 && v.duplicateEffects === 0 && v.outOfOrder === 0 &&
    facts.deadLettered === 0 && (facts.profile.bus !== 'pulsar' || (facts.logs.drivers.length === 1 && facts.logs.drivers[0] === facts.profile.driver)) &&
    (facts.soak === null || soakHeld(facts.soak))
}

function round (n: number): number {
  return Math.round(n * 10) / 10
}
