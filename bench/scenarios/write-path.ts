/**
 * 1. Write path: the demo's POST /orders under a fixed concurrency, against the same route
 * without the outbox, then the wake-up designs at high concurrency: ours (in process, or a
 * NOTIFY after commit coalesced to one per 5 ms), NOTIFY in the transaction, NOTIFY after every
 * commit.
 */
import { withBenchDatabase } from '../support/bench-database.js'
import { postLoad, summarizeLoad, type LoadRun } from '../support/http-load.js'
import { interleave, type BenchContext, type Scenario, type ScenarioResult } from '../support/scenario.js'
import { median, ratio, round } from '../support/stats.js'
import { CpuMeter } from '../support/cpu-time.js'
import { stopAll, WorkerProcess } from '../support/worker-process.js'

const ORDER = { customerId: 'cust-1', items: [{ sku: 'apple', quantity: 2, unitPrice: 120 }] }

/** Which server (the plugin's NOTIFY off or on) and route each variant loads. */
const VARIANTS = {
  orderOnly: { server: 'quiet', route: '/bench/orders-only' },
  withOutbox: { server: 'quiet', route: '/orders' },
  coalescedNotify: { server: 'notifying', route: '/orders' },
  notifyInTx: { server: 'quiet', route: '/bench/orders-notify-in-tx' },
  notifyAfterEachCommit: { server: 'quiet', route: '/bench/orders-notify-after' }
} as const
type Variant = keyof typeof VARIANTS

async function writePath (context: BenchContext): Promise<ScenarioResult> {
  const settings = context.quick
    ? { connections: 16, seconds: 2, rounds: 4, notifyConnections: 64, notifySeconds: 2, notifyRounds: 1 }
    : { connections: 16, seconds: 3, rounds: 12, notifyConnections: 64, notifySeconds: 3, notifyRounds: 5 }
  return await withBenchDatabase(async (database) => {
    // Pools of 32: at 64 HTTP connections the database, not the pool, is what the commits queue on.
    const servers = {
      quiet: new WorkerProcess('order-server', { BENCH_DB_URL: database.url, BENCH_POOL: '32', BENCH_NOTIFY: 'false', BENCH_APP_NAME: 'bench-orders-quiet' }),
      notifying: new WorkerProcess('order-server', { BENCH_DB_URL: database.url, BENCH_POOL: '32', BENCH_NOTIFY: 'true', BENCH_APP_NAME: 'bench-orders-notifying' })
    }
    const meters: CpuMeter[] = []
    try {
      const ports = { quiet: (await servers.quiet.next('ready', 60_000)).port, notifying: (await servers.notifying.next('ready', 60_000)).port }
      const cpu = {
        quiet: new CpuMeter(database.url, servers.quiet.pid, 'bench-orders-quiet'),
        notifying: new CpuMeter(database.url, servers.notifying.pid, 'bench-orders-notifying')
      }
      meters.push(cpu.quiet, cpu.notifying)
      const load = async (variant: Variant, connections: number, seconds: number): Promise<MeteredRun> => {
        const { server, route } = VARIANTS[variant]
        const before = await cpu[server].read()
        const run = await postLoad(`http://127.0.0.1:${String(ports[server])}${route}`, ORDER, connections, seconds)
        const spent = CpuMeter.spent(before, await cpu[server].read())
        context.log(`write-path ${variant} c=${connections}: ${Math.round(run.ok / run.durationMs * 1000)} req/s, ${Math.round((spent.processNs + spent.databaseNs) / run.ok / 1000)} µs CPU/request`)
        if (run.failed > 0) throw new Error(`write-path ${variant}: ${run.failed} requests failed`)
        return { ...run, ...spent }
      }
      // Warm up every route (JIT, pool connections, prepared statements) before anything counts.
      for (const variant of Object.keys(VARIANTS) as Variant[]) await load(variant, settings.connections, 1)

      const main = await interleave(['orderOnly', 'withOutbox'] as const, settings.rounds, async (variant) => await load(variant, settings.connections, settings.seconds))
      const a = summarizeLoad(main.orderOnly)
      const b = summarizeLoad(main.withOutbox)
      // Each round pairs two adjacent runs; the median of the rounds' ratios shrugs off a round
      // that other work on the machine spoiled, where pooled figures weigh it in.
      const perRound = main.orderOnly.map((run, i) => ratio(summarizeLoad([main.withOutbox[i]!]).meanUs, summarizeLoad([run]).meanUs))
      const cpuA = cpuPerRequest(main.orderOnly)
      const cpuB = cpuPerRequest(main.withOutbox)
      const cpuPerRound = main.orderOnly.map((run, i) => ratio(cpuPerRequest([main.withOutbox[i]!]).totalUs, cpuPerRequest([run]).totalUs))

      const notify = await interleave(['withOutbox', 'coalescedNotify', 'notifyInTx', 'notifyAfterEachCommit'] as const, settings.notifyRounds,
        async (variant) => await load(variant, settings.notifyConnections, settings.notifySeconds))
      const rps = (runs: readonly LoadRun[]): number | null => summarizeLoad(runs).requestsPerSecond
      return {
        connections: settings.connections,
        seconds: settings.seconds * settings.rounds,
        rpsOrderOnly: a.requestsPerSecond,
        rpsWithOutbox: b.requestsPerSecond,
        meanUsOrderOnly: a.meanUs,
        meanUsWithOutbox: b.meanUs,
        p50UsOrderOnly: a.p50Us,
        p50UsWithOutbox: b.p50Us,
        p99UsOrderOnly: a.p99Us,
        p99UsWithOutbox: b.p99Us,
        // The target: the outbox's cost on the request, from mean latency (µs) at a fixed concurrency.
        writeOverhead: round(median(perRound.filter((r): r is number => r !== null)), 3),
        writeOverheadPooled: ratio(b.meanUs, a.meanUs),
        writeOverheadByThroughput: ratio(a.requestsPerSecond, b.requestsPerSecond),
        writeOverheadP50: ratio(b.p50Us, a.p50Us),
        writeOverheadPerRound: perRound,
        // CPU spent per request by the server process and its PostgreSQL backends: what a busy
        // machine disturbs least. Not counted: WAL writer and checkpointer, the load generator.
        cpuUsOrderOnly: cpuA.totalUs,
        cpuUsWithOutbox: cpuB.totalUs,
        cpuUsNodeOrderOnly: cpuA.nodeUs,
        cpuUsNodeWithOutbox: cpuB.nodeUs,
        cpuUsDatabaseOrderOnly: cpuA.databaseUs,
        cpuUsDatabaseWithOutbox: cpuB.databaseUs,
        writeOverheadByCpu: round(median(cpuPerRound.filter((r): r is number => r !== null)), 3),
        notifyConnections: settings.notifyConnections,
        rpsNoNotify: rps(notify.withOutbox),
        rpsCoalescedNotify: rps(notify.coalescedNotify),
        rpsNotifyInTx: rps(notify.notifyInTx),
        rpsNotifyAfterEachCommit: rps(notify.notifyAfterEachCommit),
        cpuUsNoNotify: cpuPerRequest(notify.withOutbox).totalUs,
        cpuUsCoalescedNotify: cpuPerRequest(notify.coalescedNotify).totalUs,
        cpuUsNotifyInTx: cpuPerRequest(notify.notifyInTx).totalUs,
        cpuUsNotifyAfterEachCommit: cpuPerRequest(notify.notifyAfterEachCommit).totalUs,
        p99UsNoNotify: summarizeLoad(notify.withOutbox).p99Us,
        p99UsCoalescedNotify: summarizeLoad(notify.coalescedNotify).p99Us,
        p99UsNotifyInTx: summarizeLoad(notify.notifyInTx).p99Us,
        p99UsNotifyAfterEachCommit: summarizeLoad(notify.notifyAfterEachCommit).p99Us,
        // Each design's throughput against no NOTIFY at all (in-process wake-up), same concurrency.
        coalescedNotifyCost: medianRatio(notify.withOutbox, notify.coalescedNotify),
        notifyInTxCost: medianRatio(notify.withOutbox, notify.notifyInTx),
        notifyAfterEachCommitCost: medianRatio(notify.withOutbox, notify.notifyAfterEachCommit)
      }
    } finally {
      await Promise.allSettled(meters.map(async (meter) => await meter.close()))
      await stopAll(Object.values(servers))
    }
  })
}

interface MeteredRun extends LoadRun {
  /** CPU of the server process during the run, ns. */
  processNs: number
  /** CPU of its PostgreSQL backends during the run, ns. */
  databaseNs: number
}

/** CPU µs per successful request: the server's, its backends', and both. */
function cpuPerRequest (runs: readonly MeteredRun[]): { nodeUs: number | null, databaseUs: number | null, totalUs: number | null } {
  const ok = runs.reduce((sum, run) => sum + run.ok, 0)
  const node = runs.reduce((sum, run) => sum + run.processNs, 0) / ok / 1000
  const database = runs.reduce((sum, run) => sum + run.databaseNs, 0) / ok / 1000
  return { nodeUs: round(node), databaseUs: round(database), totalUs: round(node + database) }
}

/** Median over rounds of rate(baseline) / rate(other): how many times slower `other` is. */
function medianRatio (baseline: readonly MeteredRun[], other: readonly MeteredRun[]): number | null {
  return round(median(baseline.map((run, i) => ratio(summarizeLoad([run]).requestsPerSecond, summarizeLoad([other[i]!]).requestsPerSecond)).filter((r): r is number => r !== null)), 3)
}

export default { name: 'write-path', run: writePath } satisfies Scenario
