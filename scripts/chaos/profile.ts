import { randomInt } from 'node:crypto'
import type { FaultPoint } from './instance/fault-points.js'
import type { NetworkFault } from './network-faults.js'
import { CHAOS_BUSES, type ChaosBus } from './transports.js'

/**
 * One kill of the run: when (a fraction of the load window, or during the broker's restart, so
 * that a projector's fault point is armed when the backlog goes out in full batches) and how: kill -9
 * at that moment, or at a fault point armed then (instance/fault-points.ts).
 */
export interface KillPlan {
  readonly at: number | 'during-broker-restart'
  readonly how: 'kill-9' | FaultPoint
}

/** What one chaos run does: the load, the faults, and how long the backlog may take to drain. */
export interface ChaosProfile {
  readonly name: 'quick' | 'full' | 'soak'
  readonly seed: number
  /** The transport under the services (--bus; BUS). */
  readonly bus: ChaosBus
  /** The Pulsar driver the services use (PULSAR_DRIVER). */
  readonly driver: 'native' | 'websocket'
  /** The mutation run: the inbox's primary key is dropped, so duplicates must show. */
  readonly breakInbox: boolean
  readonly orders: number
  readonly ordersPerSecond: number
  /** Bound on the load's duration; the faults are spread over the same window. */
  readonly loadSeconds: number
  readonly cancelShare: number
  readonly cancelWithinMs: number
  /** The kills, in order: each waits for the one before it and for an instance it may kill. */
  readonly kills: readonly KillPlan[]
  /** What an armed fault point holds before it kills, at most, and for how long at most. */
  readonly faultPointHold: { readonly projector: number, readonly consumer: number, readonly ms: number }
  /**
   * When the broker is stopped and started again, as fractions of the load window. A restart
   * takes 20–45 s here, and the instances killed meanwhile cannot start until it is back.
   */
  readonly brokerRestartsAt: readonly number[]
  /** Seconds between the broker's TERM and KILL when it is stopped (scripts/pulsar default 30). */
  readonly brokerStopTimeout: number
  readonly connectionCuts: number
  /**
   * Outages of the run's own database (ALLOW_CONNECTIONS false plus cuts): when, as a fraction
   * of the load window (placed where the broker is up), and how long.
   */
  readonly databaseOutages: ReadonlyArray<{ readonly at: number, readonly ms: number }>
  readonly pgRestart: boolean
  readonly restartPauseMs: readonly [number, number]
  /** Bound on the drain after the load; past it, whatever is not done counts as lost. */
  readonly drainSeconds: number
  /**
   * The services' outbox lease and poll interval (OUTBOX_LEASE_MS, OUTBOX_POLL_MS): rows a
   * killed instance had claimed wait one lease (default 30 s) before another instance takes
   * them; 4 s keeps the run short and stays above a publish's usual time by far.
   */
  readonly leaseMs: number
  readonly pollMs: number
  /** Keep the run folder (logs) even when the run passes. */
  readonly keepLogs: boolean
  /**
   * Network faults between the services and the broker and PostgreSQL (--network-faults), at
   * seconds of the load window, through the run's fault proxies; null when the links are direct.
   */
  readonly networkFaults: readonly NetworkFault[] | null
  /** The soak (--soak <minutes>): samples RSS, backlog and latency this often, in ms; null otherwise. */
  readonly sampleEveryMs: number | null
}

/**
 * What --network-faults plays, from the load's start: latency on each link, resets and drops of
 * every open connection, then a partition of each that lasts 35 s, longer than the clients'
 * timeouts (the bus's 30 s send timeout and 30 s keep-alive, postgres-js's 30 s connect timeout),
 * one after the other so the two outages do not hide each other. It needs 70 s more of load
 * window than the faults of the run alone; the run adds them.
 */
const NETWORK_FAULTS: readonly NetworkFault[] = [
  { atSeconds: 10, target: 'broker', fault: 'latency', ms: 80, jitterMs: 40, forSeconds: 10 },
  { atSeconds: 22, target: 'database', fault: 'latency', ms: 30, jitterMs: 20, forSeconds: 10 },
  { atSeconds: 34, target: 'broker', fault: 'reset' },
  { atSeconds: 38, target: 'database', fault: 'reset' },
  { atSeconds: 44, target: 'broker', fault: 'drop' },
  { atSeconds: 46, target: 'database', fault: 'drop' },
  { atSeconds: 50, target: 'broker', fault: 'partition', forSeconds: 35 },
  { atSeconds: 95, target: 'database', fault: 'partition', forSeconds: 35 }
]
const NETWORK_FAULTS_EXTRA_SECONDS = 70

export const USAGE = `usage: npm run chaos -- [--quick | --soak MINUTES] [--bus pulsar|kafka|redis|nats] [--driver websocket|native] [--break-inbox] [--network-faults] [--pg-restart] [--seed N] [--keep-logs]
  --quick          a small run (about two minutes) for CI
  --soak MINUTES   a steady load for that long with a fault every few minutes, sampling memory, backlog and latency
  --bus B          the transport under the services: pulsar (default), kafka, redis or nats, on a server of the run's own
  --driver D       the Pulsar driver of the services: websocket (default) or native (pulsar-client)
  --break-inbox    the mutation run: the inbox's primary key is dropped; it must report duplicateEffects > 0 and fail
  --network-faults the services reach the broker and PostgreSQL through fault proxies: latency, resets, drops, 35 s partitions (70 s more load)
  --pg-restart     also restart the PostgreSQL server once (full run only; the server is shared)
  --seed N         repeat the order mix and fault schedule of an earlier run
  --keep-logs      keep the run folder when the run passes (it is always kept when it fails)`

const FLAGS = ['--quick', '--break-inbox', '--pg-restart', '--keep-logs', '--network-faults']
const VALUED = ['--bus', '--driver', '--seed', '--soak']

/** The arguments as flags and values; `--name value` and `--name=value` alike. */
function parseArguments (args: readonly string[]): { flags: Set<string>, values: Map<string, string> } {
  const flags = new Set<string>()
  const values = new Map<string, string>()
  for (let i = 0; i < args.length; i++) {
    const [name, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined]
    if (FLAGS.includes(name) && inline === undefined) flags.add(name)
    else if (VALUED.includes(name)) {
      const value = inline ?? args[++i]
      if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value\n${USAGE}`)
      values.set(name, value)
    } else throw new Error(`unknown argument ${args[i]!}\n${USAGE}`)
  }
  return { flags, values }
}

export function readProfile (args: readonly string[]): ChaosProfile {
  const { flags, values } = parseArguments(args)
  const seedArg = values.get('--seed')
  if (seedArg !== undefined && !/^\d{1,9}$/.test(seedArg)) throw new Error(`--seed must be a whole number, got ${JSON.stringify(seedArg)}`)
  const driver = values.get('--driver') ?? 'websocket'
  if (driver !== 'websocket' && driver !== 'native') throw new Error(`--driver must be websocket or native, got ${JSON.stringify(driver)}`)
  const bus = CHAOS_BUSES.find((name) => name === (values.get('--bus') ?? 'pulsar'))
  if (bus === undefined) throw new Error(`--bus must be one of ${CHAOS_BUSES.join(', ')}, got ${JSON.stringify(values.get('--bus'))}`)
  if (bus !== 'pulsar' && (values.has('--driver') || flags.has('--network-faults'))) throw new Error('--driver and --network-faults are for --bus pulsar only')
  const quick = flags.has('--quick')
  if (quick && flags.has('--pg-restart')) throw new Error('--pg-restart is for the full run only: the PostgreSQL server is shared with other work, and CI runs --quick')
  const soakArg = values.get('--soak')
  if (soakArg !== undefined && (!/^\d{1,4}$/.test(soakArg) || Number(soakArg) < 5)) throw new Error(`--soak takes whole minutes, at least 5, got ${JSON.stringify(soakArg)}`)
  if (soakArg !== undefined && quick) throw new Error('--soak and --quick are two different runs: pick one')
  const networkFaults = flags.has('--network-faults')
  const common = {
    seed: seedArg === undefined ? randomInt(1, 1_000_000_000) : Number(seedArg),
    bus,
    driver,
    breakInbox: flags.has('--break-inbox'),
    cancelShare: 0.2,
    cancelWithinMs: 250,
    pgRestart: flags.has('--pg-restart'),
    restartPauseMs: [500, 2000] as const,
    leaseMs: 4000,
    pollMs: 500,
    keepLogs: flags.has('--keep-logs'),
    networkFaults: networkFaults ? NETWORK_FAULTS : null,
    sampleEveryMs: null
  } as const
  const profile: ChaosProfile = soakArg !== undefined
    ? soakProfile(common, Number(soakArg))
    : quick
    // Quick: the broker restart comes first (it takes 10–50 s here); a projector armed at its fault
    // point meanwhile is killed as soon as the broker is back and the backlog goes out in full
    // batches; the rest while the load goes on. Each killed instance takes 10–25 s to start again, so the
    // load lasts 75 s; the broker gets 3 s to close cleanly before it is killed.
    ? {
        ...common,
        name: 'quick',
        orders: 450,
        ordersPerSecond: 6,
        loadSeconds: 75,
        kills: [
          { at: 'during-broker-restart', how: 'projector-after-publish' },
          { at: 0.45, how: 'consumer-before-ack' },
          { at: 0.6, how: 'kill-9' },
          { at: 0.7, how: 'projector-after-publish' },
          { at: 0.85, how: 'consumer-before-ack' }
        ],
        faultPointHold: { projector: 60, consumer: 16, ms: 2000 },
        brokerRestartsAt: [0.03],
        brokerStopTimeout: 3,
        connectionCuts: 1,
        databaseOutages: [],
        drainSeconds: 40
      }
    // Full: every fault costs an instance 10–25 s of starting again on this machine (a broker
    // restart 35–45 s more, and postgres-js crashes on most cuts), so 2000 orders go at 8.5/s
    // over 240 s, with one broker restart and the database faults apart from it.
    : {
        ...common,
        name: 'full',
        orders: 2000,
        ordersPerSecond: 8.5,
        loadSeconds: 240,
        kills: [
          { at: 0.04, how: 'kill-9' },
          { at: 'during-broker-restart', how: 'projector-after-publish' },
          { at: 0.25, how: 'consumer-before-ack' },
          { at: 0.3, how: 'kill-9' },
          { at: 0.36, how: 'projector-after-publish' },
          { at: 0.42, how: 'kill-9' },
          { at: 0.6, how: 'consumer-before-ack' },
          { at: 0.66, how: 'kill-9' },
          { at: 0.72, how: 'projector-after-publish' },
          { at: 0.78, how: 'kill-9' },
          { at: 0.84, how: 'consumer-before-ack' },
          { at: 0.9, how: 'kill-9' }
        ],
        faultPointHold: { projector: 60, consumer: 16, ms: 2000 },
        brokerRestartsAt: [0.08],
        brokerStopTimeout: 30,
        connectionCuts: 2,
        databaseOutages: [{ at: 0.5, ms: 20_000 }],
        drainSeconds: 180
      }
  return networkFaults ? withNetworkWindow(profile) : profile
}

/**
 * The soak: a steady 4 orders/s for the minutes asked, and a fault every 3 minutes or so, the
 * three kinds of kill in turn (kill -9, at projector-after-publish, at consumer-before-ack), a
 * connection cut every 5 minutes and, from 10 minutes on, one broker restart half way: each
 * fault makes a backlog that must drain back to the steady state, and memory must stay flat
 * over the processes' lives. Samples every 10 s (soak.ts).
 */
function soakProfile (common: Omit<ChaosProfile, 'name' | 'orders' | 'ordersPerSecond' | 'loadSeconds' | 'kills' | 'faultPointHold' | 'brokerRestartsAt' | 'brokerStopTimeout' | 'connectionCuts' | 'databaseOutages' | 'drainSeconds'>, minutes: number): ChaosProfile {
  const loadSeconds = minutes * 60
  const kinds = ['kill-9', 'projector-after-publish', 'consumer-before-ack'] as const
  const killCount = Math.max(2, Math.floor(minutes / 3))
  const kills: KillPlan[] = Array.from({ length: killCount }, (_, i) => ({ at: (i + 0.6) / (killCount + 0.5), how: kinds[i % kinds.length]! }))
  return {
    ...common,
    name: 'soak',
    orders: 4 * loadSeconds,
    ordersPerSecond: 4,
    loadSeconds,
    kills,
    faultPointHold: { projector: 60, consumer: 16, ms: 2000 },
    brokerRestartsAt: minutes >= 10 ? [0.5] : [],
    brokerStopTimeout: 10,
    connectionCuts: Math.floor(minutes / 5),
    databaseOutages: [],
    drainSeconds: 120,
    sampleEveryMs: 10_000
  }
}

/** The profile with the load window and its orders grown by what the network faults need. */
function withNetworkWindow (profile: ChaosProfile): ChaosProfile {
  const loadSeconds = profile.loadSeconds + NETWORK_FAULTS_EXTRA_SECONDS
  return { ...profile, loadSeconds, orders: Math.round(profile.ordersPerSecond * loadSeconds) }
}
