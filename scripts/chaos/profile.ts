import { randomInt } from 'node:crypto'

/** What one chaos run does: the load, the faults, and how long the backlog may take to drain. */
export interface ChaosProfile {
  readonly name: 'quick' | 'full'
  readonly seed: number
  readonly orders: number
  readonly ordersPerSecond: number
  /** Bound on the load's duration; the faults are spread over the same window. */
  readonly loadSeconds: number
  readonly cancelShare: number
  readonly cancelWithinMs: number
  readonly kills: number
  /** The kills fall in the first this-much of the load window (1: all of it). */
  readonly killsWithin: number
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
}

export const USAGE = `usage: npm run chaos -- [--quick] [--pg-restart] [--seed=N] [--keep-logs]
  --quick        a small run (load + faults + drain under a minute) for CI
  --pg-restart   also restart the PostgreSQL server once (full run only; the server is shared)
  --seed=N       repeat the order mix and fault schedule of an earlier run
  --keep-logs    keep the run folder when the run passes (it is always kept when it fails)`

export function readProfile (args: readonly string[]): ChaosProfile {
  const flags = new Set(args.filter((a) => !a.startsWith('--seed=')))
  for (const flag of flags) {
    if (!['--quick', '--pg-restart', '--keep-logs'].includes(flag)) throw new Error(`unknown argument ${flag}\n${USAGE}`)
  }
  const seedArg = args.find((a) => a.startsWith('--seed='))?.slice('--seed='.length)
  if (seedArg !== undefined && !/^\d{1,9}$/.test(seedArg)) throw new Error(`--seed must be a whole number, got ${JSON.stringify(seedArg)}`)
  const quick = flags.has('--quick')
  if (quick && flags.has('--pg-restart')) throw new Error('--pg-restart is for the full run only: the PostgreSQL server is shared with other work, and CI runs --quick')
  const common = {
    seed: seedArg === undefined ? randomInt(1, 1_000_000_000) : Number(seedArg),
    cancelShare: 0.2,
    cancelWithinMs: 250,
    pgRestart: flags.has('--pg-restart'),
    restartPauseMs: [500, 2000] as const,
    leaseMs: 4000,
    pollMs: 500,
    keepLogs: flags.has('--keep-logs')
  }
  return quick
    // Quick: the broker restart starts early (it takes 20–45 s here) and the faults are packed
    // into the first 40% of the load, so that the run fits in about a minute; the broker gets 3 s
    // to close cleanly before it is killed (a clean stop takes 6–9 s).
    ? { ...common, name: 'quick', orders: 300, ordersPerSecond: 9, loadSeconds: 35, kills: 3, killsWithin: 0.4, brokerRestartsAt: [0.1], brokerStopTimeout: 3, connectionCuts: 1, databaseOutages: [], drainSeconds: 30 }
    // Full: every fault costs an instance 10–25 s of starting again on this machine (a broker
    // restart 35–45 s more, and postgres-js crashes on most cuts), so 2000 orders go at 8.5/s
    // over 240 s, with one broker restart and the database faults apart from it.
    : { ...common, name: 'full', orders: 2000, ordersPerSecond: 8.5, loadSeconds: 240, kills: 12, killsWithin: 1, brokerRestartsAt: [0.08], brokerStopTimeout: 30, connectionCuts: 2, databaseOutages: [{ at: 0.5, ms: 20_000 }], drainSeconds: 180 }
}
